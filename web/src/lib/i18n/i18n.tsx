// The language of the app: French or English, from the user's choice (kept in localStorage) or
// the browser's languages. Strings come from one catalog per language, plurals through
// Intl.PluralRules, dates and times through Intl in the chosen locale.
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { en, type MessageKey, type Plural } from './en';
import { fr } from './fr';

export type Locale = 'en' | 'fr';
export const locales: { id: Locale; name: string }[] = [
  { id: 'en', name: 'English' },
  { id: 'fr', name: 'Français' },
];
const catalogs = { en, fr } as const;
const STORAGE_KEY = 'parley.locale';

export function detectLocale(languages: readonly string[] = navigator.languages ?? [navigator.language]): Locale {
  for (const lang of languages) {
    const base = lang.toLowerCase().split('-')[0];
    if (base === 'fr' || base === 'en') return base;
  }
  return 'en';
}

function initialLocale(): Locale {
  let saved: string | null = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    // storage refused: follow the browser
  }
  return saved === 'en' || saved === 'fr' ? saved : detectLocale();
}

export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

export function makeTranslate(locale: Locale): Translate {
  const catalog = catalogs[locale];
  const rules = new Intl.PluralRules(locale);
  return (key, params = {}) => {
    const entry = catalog[key] as string | Plural;
    let text: string;
    if (typeof entry === 'string') text = entry;
    else {
      const form = rules.select(Number(params.count ?? 0)) as keyof Plural;
      text = entry[form] ?? entry.other;
    }
    return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
  };
}

export interface I18n {
  locale: Locale;
  setLocale: (locale: Locale) => void;
  t: Translate;
  formatTime: (iso: string) => string; // 14:05 or 2:05 PM
  formatDate: (iso: string) => string; // 4 Dec 2026
  formatDateTime: (iso: string) => string;
  formatShort: (iso: string) => string; // time today, "Yesterday", a date otherwise
}

const I18nContext = createContext<I18n | null>(null);

export function I18nProvider({ children, locale: forced }: { children: ReactNode; locale?: Locale }) {
  const [locale, setLocaleState] = useState<Locale>(forced ?? initialLocale);
  useEffect(() => {
    document.documentElement.lang = locale;
  }, [locale]);
  const setLocale = useCallback((next: Locale) => {
    try {
      localStorage.setItem(STORAGE_KEY, next);
    } catch {
      // kept for this page load only
    }
    setLocaleState(next);
  }, []);
  const value = useMemo<I18n>(() => {
    const t = makeTranslate(locale);
    const time = new Intl.DateTimeFormat(locale, { hour: 'numeric', minute: '2-digit' });
    const date = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', year: 'numeric' });
    const dateTime = new Intl.DateTimeFormat(locale, { dateStyle: 'medium', timeStyle: 'short' });
    const dayKey = (d: Date) => `${d.getFullYear()}-${d.getMonth()}-${d.getDate()}`;
    return {
      locale,
      setLocale,
      t,
      formatTime: (iso) => time.format(new Date(iso)),
      formatDate: (iso) => date.format(new Date(iso)),
      formatDateTime: (iso) => dateTime.format(new Date(iso)),
      formatShort: (iso) => {
        const d = new Date(iso);
        const now = new Date();
        if (dayKey(d) === dayKey(now)) return time.format(d);
        const yesterday = new Date(now);
        yesterday.setDate(now.getDate() - 1);
        if (dayKey(d) === dayKey(yesterday)) return t('time.yesterday');
        return date.format(d);
      },
    };
  }, [locale, setLocale]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
