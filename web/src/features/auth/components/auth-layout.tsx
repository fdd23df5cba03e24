import type { ReactNode } from 'react';
import { SelectField } from '../../../components/field';
import { locales, useI18n, type Locale } from '../../../lib/i18n/i18n';
import styles from './auth.module.css';

// The frame of the sign-in and sign-up pages, with the language switch.
export function AuthLayout({ title, children }: { title: string; children: ReactNode }) {
  const { t, locale, setLocale } = useI18n();
  return (
    <main className={styles.page}>
      <div className={styles.card}>
        <div className={styles.brand} aria-hidden="true">P</div>
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
