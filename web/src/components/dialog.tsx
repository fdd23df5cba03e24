// A modal dialog on the native <dialog> element: the browser traps focus, Escape closes it, and
// focus returns to what opened it.
import { useEffect, useId, useRef, type ReactNode } from 'react';
import { useI18n } from '../lib/i18n/i18n';
import { IconButton } from './button';
import { CloseIcon } from './icons';
import styles from './dialog.module.css';

export function Dialog({ title, open, onClose, children, wide }: {
  title: string;
  open: boolean;
  onClose: () => void;
  children: ReactNode;
  wide?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const { t } = useI18n();
  useEffect(() => {
    const dialog = ref.current;
    if (!open || !dialog) return;
    const opener = document.activeElement as HTMLElement | null;
    if (!dialog.open) dialog.showModal?.();
    return () => {
      if (dialog.open) dialog.close();
      opener?.focus?.(); // back to what opened the dialog
    };
  }, [open]);
  if (!open) return null;
  return (
    <dialog ref={ref} className={[styles.dialog, wide ? styles.wide : ''].join(' ')} aria-labelledby={titleId}
      onClose={onClose} onCancel={(e) => { e.preventDefault(); onClose(); }}>
      <div className={styles.header}>
        <h2 id={titleId}>{title}</h2>
        <IconButton label={t('dialog.close')} onClick={onClose}><CloseIcon /></IconButton>
      </div>
      <div className={styles.body}>{children}</div>
    </dialog>
  );
}
