import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { BrandMark } from '../../../components/brand-mark';
import { Button } from '../../../components/button';
import { SelectField } from '../../../components/field';
import { locales, useI18n, type Locale } from '../../../lib/i18n/i18n';
import styles from './auth.module.css';

// The frame of the sign-in and sign-up pages: the form, the way to the other page, and the
// language switch.
export function AuthLayout({ title, other, children }: {
  title: string;
  other: { question: string; link: string; to: string };
  children: ReactNode;
}) {
  const { t, locale, setLocale } = useI18n();
  return (
    <main className={styles.page}>
      <div className={styles.card}>
        <BrandMark className={styles.brand} />
        <h1 className={styles.title}>{title}</h1>
        {children}
        <p className={styles.alt}>
          {other.question} <Link to={other.to}>{other.link}</Link>
        </p>
      </div>
      <div className={styles.language}>
        <SelectField label={t('settings.language')} value={locale} onChange={(e) => setLocale(e.target.value as Locale)}>
          {locales.map((l) => <option key={l.id} value={l.id} lang={l.id}>{l.name}</option>)}
        </SelectField>
      </div>
    </main>
  );
}

// The form's submit button; it says the app is at work while the form is sent.
export function AuthSubmit({ busy, disabled, children }: { busy: boolean; disabled: boolean; children: ReactNode }) {
  const { t } = useI18n();
  return (
    <Button type="submit" variant="primary" className={styles.submit} disabled={busy || disabled}>
      {busy ? t('auth.busy') : children}
    </Button>
  );
}
