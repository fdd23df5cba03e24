// Form fields with a visible label, an optional hint, and the error shown beside the field
// (announced, and tied to the input with aria-describedby).
import { useId, type InputHTMLAttributes, type ReactNode, type SelectHTMLAttributes, type TextareaHTMLAttributes } from 'react';
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

// The label, hint and error around one control; control() gets the props that tie them together.
function Field({ label, hint, error, className, control }: Common & {
  className?: string;
  control: (props: { id: string; className: string; 'aria-invalid'?: boolean; 'aria-describedby'?: string }) => ReactNode;
}) {
  const id = useId();
  return (
    <div className={[styles.field, className].filter(Boolean).join(' ')}>
      <label htmlFor={id} className={styles.label}>{label}</label>
      {control({ id, className: styles.input, 'aria-invalid': error ? true : undefined, 'aria-describedby': describedBy(id, hint, error) })}
      <Extra id={id} hint={hint} error={error} />
    </div>
  );
}

export function TextField({ label, hint, error, className, ...props }: Common & InputHTMLAttributes<HTMLInputElement>) {
  return <Field label={label} hint={hint} error={error} className={className} control={(tie) => <input {...tie} {...props} />} />;
}

export function TextArea({ label, hint, error, className, ...props }: Common & TextareaHTMLAttributes<HTMLTextAreaElement>) {
  return <Field label={label} hint={hint} error={error} className={className} control={(tie) => <textarea {...tie} {...props} />} />;
}

export function SelectField({ label, hint, error, className, children, ...props }: Common & SelectHTMLAttributes<HTMLSelectElement>) {
  return (
    <Field label={label} hint={hint} error={error} className={className}
      control={(tie) => <select {...tie} {...props}>{children}</select>} />
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
