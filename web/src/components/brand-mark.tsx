// The Parley mark (decorative: the page title or the navigation names the app). className sets
// its size and place.
import styles from './brand-mark.module.css';

export function BrandMark({ className }: { className?: string }) {
  return <span className={[styles.mark, className].filter(Boolean).join(' ')} aria-hidden="true">P</span>;
}
