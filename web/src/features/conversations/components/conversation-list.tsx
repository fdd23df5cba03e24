// The caller's conversations, latest activity first, each with its unread badge and a preview of
// its last message.
import { useMemo } from 'react';
import { NavLink } from 'react-router-dom';
import { Avatar } from '../../../components/avatar';
import { Empty, Loading } from '../../../components/states';
import type { Conversation } from '../../../lib/api/types';
import { useMe } from '../../../lib/auth/auth-context';
import { useI18n } from '../../../lib/i18n/i18n';
import { useChat } from '../../../lib/sync/chat-context';
import { activityTime } from '../../../lib/sync/chat-store';
import { useConversationTitle, usePersonName } from '../hooks/use-conversation-title';
import styles from './conversation-list.module.css';

export function ConversationList() {
  const { t } = useI18n();
  const loaded = useChat((s) => s.loaded);
  const byId = useChat((s) => s.conversations);
  const sorted = useMemo(
    () => Object.values(byId).sort((a, b) => activityTime(b).localeCompare(activityTime(a)) || b.id.localeCompare(a.id)),
    [byId],
  );
  if (!loaded) return <Loading />;
  if (sorted.length === 0)
    return (
      <Empty title={t('conv.list.empty')}>
        <p>{t('conv.list.emptyHint')}</p>
      </Empty>
    );
  return (
    <ul className={styles.list} aria-label={t('conv.list.label')}>
      {sorted.map((c) => <ConversationRow key={c.id} conversation={c} />)}
    </ul>
  );
}

function ConversationRow({ conversation: c }: { conversation: Conversation }) {
  const { t, formatShort } = useI18n();
  const me = useMe();
  const title = useConversationTitle(c);
  const last = c.last_message;
  const sender = usePersonName(c.kind === 'group' && last && last.sender_id !== me.id ? last.sender_id : undefined);
  let preview = t('conv.list.noMessages');
  if (last) {
    const text = last.deleted ? t('conv.deletedMessage') : (last.body ?? '').replace(/\s+/g, ' ');
    preview = last.sender_id === me.id ? t('conv.list.you', { text }) : sender ? t('conv.list.sender', { name: sender, text }) : text;
  }
  return (
    <li>
      <NavLink to={`/conversations/${c.id}`} className={({ isActive }) => (isActive ? `${styles.row} ${styles.active}` : styles.row)}>
        <Avatar id={c.id} name={title} />
        <span className={styles.text}>
          <span className={styles.top}>
            <span className={styles.title} dir="auto">{title}</span>
            <time className={styles.time} dateTime={activityTime(c)}>{formatShort(activityTime(c))}</time>
          </span>
          <span className={styles.bottom}>
            <span className={[styles.preview, last?.deleted ? styles.deleted : ''].join(' ')} dir="auto">{preview}</span>
            {c.unread_count > 0 && (
              <span className={styles.badge}>
                <span aria-hidden="true">{c.unread_count > 99 ? '99+' : c.unread_count}</span>
                <span className="visually-hidden">{t('conv.list.unread', { count: c.unread_count })}</span>
              </span>
            )}
          </span>
        </span>
      </NavLink>
    </li>
  );
}
