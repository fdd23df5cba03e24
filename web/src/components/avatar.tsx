// A round badge with a person's or group's initials; the colour comes from their id.
import styles from './avatar.module.css';

const hues = [250, 200, 160, 120, 30, 0, 320, 280];

export function Avatar({ id, name, size = 36 }: { id: string; name: string; size?: number }) {
  let hash = 0;
  for (let i = 0; i < id.length; i++) hash = (hash * 31 + id.charCodeAt(i)) >>> 0;
  const initials = Array.from(name.trim()).slice(0, 1).join('').toUpperCase() || '?';
  return (
    <span className={styles.avatar} aria-hidden="true" data-hue={hues[hash % hues.length]} data-size={size}>
      {initials}
    </span>
  );
}
