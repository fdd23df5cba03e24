import { describe, expect, it } from 'vitest';
import { en } from './en';
import { fr } from './fr';
import { detectLocale, makeTranslate } from './i18n';

describe('i18n', () => {
  it('picks French or English from the browser languages', () => {
    expect(detectLocale(['fr-CA', 'en'])).toBe('fr');
    expect(detectLocale(['de-DE', 'en-GB'])).toBe('en');
    expect(detectLocale(['es'])).toBe('en');
  });
  it('uses each language’s plural rules', () => {
    expect(makeTranslate('en')('conv.list.unread', { count: 1 })).toBe('1 unread message');
    expect(makeTranslate('en')('conv.list.unread', { count: 0 })).toBe('0 unread messages');
    // French: 0 and 1 are singular.
    expect(makeTranslate('fr')('conv.list.unread', { count: 0 })).toBe('0 message non lu');
    expect(makeTranslate('fr')('conv.list.unread', { count: 2 })).toBe('2 messages non lus');
  });
  it('has every English string in French, with the same placeholders', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      const names = (v: unknown) => JSON.stringify(v).match(/\{\w+\}/g)?.sort() ?? [];
      expect(names(fr[key]), key).toEqual(names(en[key]));
    }
  });
});
