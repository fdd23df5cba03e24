// Form fields with a visible label, an optional hint, and the error shown beside the field
// (announced, and tied to the input with aria-describedby).
import { useId, type InputHTMLAttributes, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
import styles from './field.module.css';

interface Common {
  label: string;
  hint?: string;
  error?: string | null;
}

function describedBy(id: string, hint?: string, error?: string | null) {
  return [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
}

function Extra({ id, hint, error }: { id: string; hint?: string; error?: string | null }) {
  return (
    <>
      {hint && <span id={`${id}-hint`} className={styles.hint}>{hint}</span>}
      {error && <span id={`${id}-error`} className={styles.error} role="alert">{error}</span>}
    </>
  );
}

export function TextField({ label, hint, error, className, ...props }: Common & InputHTMLAttributes<HTMLInputElement>) {
  const id = useId();
  return (
    <div className={[styles.field, className].filter(Boolean).join(' ')}>
      <label htmlFor={id} className={styles.label}>{label}</label>
      <input id={id} className={styles.input} aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)} {...props} />
      <Extra id={id} hint={hint} error={error} />
    </div>
  );
}

export function TextArea({ label, hint, error, className, ...props }: Common & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  const id = useId();
  return (
    <div className={[styles.field, className].filter(Boolean).join(' ')}>
      <label htmlFor={id} className={styles.label}>{label}</label>
      <textarea id={id} className={styles.input} aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)} {...props} />
      <Extra id={id} hint={hint} error={error} />
    </div>
  );
}

export function SelectField({ label, hint, error, className, children, ...props }: Common & SelectHTMLAttributes<HTMLSelectElement>) {
  const id = useId();
  return (
    <div className={[styles.field, className].filter(Boolean).join(' ')}>
      <label htmlFor={id} className={styles.label}>{label}</label>
      <select id={id} className={styles.input} aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(id, hint, error)} {...props}>
        {children}
      </select>
      <Extra id={id} hint={hint} error={error} />
    </div>
  );
}

// A message for the whole form (not one field).
export function FormMessage({ tone = 'error', children }: { tone?: 'error' | 'success'; children: string | null | undefined }) {
  if (!children) return null;
  return (
    <p className={tone === 'error' ? styles.formError : styles.formSuccess} role={tone === 'error' ? 'alert' : 'status'}>
      {children}
    </p>
  );
}
