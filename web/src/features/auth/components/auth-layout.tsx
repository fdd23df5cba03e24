import type { ReactNode } from 'react';
import { BrandMark } from '../../../components/brand-mark';
import { SelectField } from '../../../components/field';
import { locales, useI18n, type Locale } from '../../../lib/i18n/i18n';
import styles from './auth.module.css';

// The frame of the sign-in and sign-up pages, with the language switch.
export function AuthLayout({ title, children }: { title: string; children: ReactNode }) {
  const { t, locale, setLocale } = useI18n();
  return (
    <main className={styles.page}>
      <div className={styles.card}>
        <BrandMark className={styles.brand} />
        <h1 className={styles.title}>{title}</h1>
        {children}
      </div>
      <div className={styles.language}>
        <SelectField label={t('settings.language')} value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
          {locales.map((l) => <option key={l.id} value={l.id} lang={l.id}>{l.name}</option>)}
        </SelectField>
      </div>
    </main>
  );
}
