import type { ButtonHTMLAttributes, ReactNode } from 'react';
import styles from './button.module.css';

type Variant = 'primary' | 'secondary' | 'ghost' | 'danger';

export function Button({ variant = 'secondary', className, ...props }: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant }) {
  return <button type="button" {...props} className={[styles.button, styles[variant], className].filter(Boolean).join(' ')} />;
}

// A button showing only an icon: label is its accessible name (and its tooltip).
export function IconButton({ label, children, className, ...props }: ButtonHTMLAttributes<HTMLButtonElement> & { label: string; children: ReactNode }) {
  return (
    <button type="button" aria-label={label} title={label} {...props} className={[styles.icon, className].filter(Boolean).join(' ')}>
      {children}
    </button>
  );
}
