// Loading, empty and error states, the same everywhere.
import type { ReactNode } from 'react';
import { useI18n } from '../lib/i18n/i18n';
import { Button } from './button';
import styles from './states.module.css';

export function Loading({ label }: { label?: string }) {
  const { t } = useI18n();
  return (
    <div className={styles.state} role="status">
      <span className={styles.spinner} aria-hidden="true" />
      <span>{label ?? t('app.loading')}</span>
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className={styles.state}>
      <p className={styles.title}>{title}</p>
      {children}
    </div>
  );
}

export function Failed({ message, onRetry }: { message: string; onRetry?: () => void }) {
  const { t } = useI18n();
  return (
    <div className={styles.state} role="alert">
      <p className={styles.title}>{message}</p>
      {onRetry && <Button onClick={onRetry}>{t('app.retry')}</Button>}
    </div>
  );
}
