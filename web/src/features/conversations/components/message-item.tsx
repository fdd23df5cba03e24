// One row of the history: a day separator or the "New messages" line when due, then the message
// (or a message of mine still on its way), with its time, edited marker and state. My own
// messages can be edited and deleted; a group's owner and admins can delete anyone's. Every
// action is a real button, reachable by keyboard.
import { useState, type KeyboardEvent } from 'react';
import { Button, IconButton } from '../../../components/button';
import { EditIcon, TrashIcon } from '../../../components/icons';
import { Dialog } from '../../../components/dialog';
import { ApiError } from '../../../lib/api-client';
import type { Conversation, Message } from '../../../lib/api/types';
import { useMe } from '../../../lib/auth/auth-context';
import { describeError } from '../../../lib/errors';
import { useI18n } from '../../../lib/i18n/i18n';
import { useChatActions } from '../../../lib/sync/chat-context';
import type { PendingMessage } from '../../../lib/sync/chat-store';
import { usePersonName } from '../hooks/use-conversation-title';
import styles from './message-item.module.css';

export interface Row {
  key: string;
  message: Message | null;
  pending: PendingMessage | null;
  newDay: boolean;
  grouped: boolean; // same sender as the row above, shortly after: no name repeated
  unreadMark: boolean;
}

// The message being edited, held by the timeline: a row scrolled out of view (and so out of the
// DOM) keeps its edit when it comes back.
export interface EditState {
  id: string | null;
  draft: string;
  set: (id: string | null, draft?: string) => void;
}

export function MessageItem({ row, conversation, index, total, start, measure, edit: editState }: {
  row: Row;
  edit: EditState;
  conversation: Conversation;
  index: number;
  total: number;
  start: number;
  measure: (el: HTMLElement | null) => void;
}) {
  const { t, formatTime, formatDate } = useI18n();
  const me = useMe();
  const { retry, discard, edit, remove } = useChatActions();
  const { message, pending } = row;
  const senderId = message?.sender_id ?? me.id;
  const own = senderId === me.id;
  const senderName = usePersonName(senderId);
  const at = message?.created_at ?? pending!.createdAt;
  const myRole = conversation.members.find((m) => m.user_id === me.id)?.role;
  const canDelete = !!message && !message.deleted && (own || (conversation.kind === 'group' && (myRole === 'owner' || myRole === 'admin')));
  const canEdit = !!message && !message.deleted && own;
  const editing = !!message && editState.id === message.id;
  const draft = editing ? editState.draft : '';
  const setDraft = (text: string) => editState.set(message!.id, text);
  const setEditing = (on: boolean) => editState.set(on ? message!.id : null, on ? message!.body ?? '' : '');
  const tooLong = Array.from(draft).length > 4000;
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function save() {
    if (!message) return;
    const body = draft.trim();
    if (tooLong) return;
    if (!body || body === message.body) return setEditing(false);
    try {
      await edit(message, body);
      setEditing(false);
      setError(null);
    } catch (e) {
      setError(describeError(t, e));
    }
  }
  function onEditKey(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Escape') {
      e.preventDefault();
      setEditing(false);
    } else if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      void save();
    }
  }
  async function confirmDelete() {
    if (!message) return;
    try {
      await remove(message);
      setConfirming(false);
    } catch (e) {
      setError(describeError(t, e));
      setConfirming(false);
    }
  }

  const showName = !row.grouped && (!own || conversation.kind === 'group');
  return (
    <li ref={measure} data-index={index} aria-setsize={total} aria-posinset={index + 1}
      className={styles.row} style={{ transform: `translateY(${start}px)` }}>
      {row.newDay && <div className={styles.day} role="separator"><span>{formatDate(at)}</span></div>}
      {row.unreadMark && <div className={styles.unread} role="separator"><span>{t('conv.newMessages')}</span></div>}
      <div className={[styles.message, own ? styles.own : styles.other, row.grouped ? styles.grouped : ''].join(' ')}
        data-state={pending ? pending.state : message?.deleted ? 'deleted' : 'sent'}>
        {showName && <span className={styles.sender} dir="auto">{own ? t('conv.you') : senderName}</span>}
        {editing ? (
          <div className={styles.editor}>
            <label className="visually-hidden" htmlFor={`edit-${row.key}`}>{t('conv.editLabel')}</label>
            <textarea id={`edit-${row.key}`} className={styles.editBox} value={draft} autoFocus dir="auto"
              aria-invalid={tooLong || undefined} onChange={(e) => setDraft(e.target.value)} onKeyDown={onEditKey} />
            {tooLong && <span className={styles.failedText} role="alert">{t('conv.tooLong', { count: Array.from(draft).length - 4000 })}</span>}
            <div className={styles.editActions}>
              <Button onClick={() => setEditing(false)}>{t('conv.cancel')}</Button>
              <Button variant="primary" disabled={tooLong} onClick={() => void save()}>{t('conv.save')}</Button>
            </div>
          </div>
        ) : (
          <div className={styles.bubble}>
            {message?.deleted ? (
              <em className={styles.tombstone}>{t('conv.deletedMessage')}</em>
            ) : (
              <p className={styles.body} dir="auto">{message?.body ?? pending?.body}</p>
            )}
          </div>
        )}
        <div className={styles.meta}>
          <time dateTime={at}>{formatTime(at)}</time>
          {message?.edited_at && !message.deleted && <span> · {t('conv.edited')}</span>}
          {pending?.state === 'pending' && <span className={styles.pendingText}> · {t('conv.pending')}</span>}
          {pending?.state === 'failed' && (
            <>
              <span className={styles.failedText} role="alert"> · {t('conv.failed')}{pending.error && !pending.retryable ? ` (${describeError(t, new ApiError(pending.error.status, pending.error.code, pending.error.message, pending.error.field ? { field: pending.error.field } : {}))})` : ''}</span>
              <button type="button" className={styles.linkButton} onClick={() => retry(pending.clientId)}>{t('conv.retry')}</button>
              {!pending.retryable && (
                <button type="button" className={styles.linkButton} onClick={() => discard(pending.clientId)}>{t('conv.discard')}</button>
              )}
            </>
          )}
          {error && <span className={styles.failedText} role="alert"> · {error}</span>}
        </div>
        {(canEdit || canDelete) && !editing && (
          <div className={styles.actions}>
            {canEdit && (
              <IconButton label={t('conv.edit')} onClick={() => setEditing(true)}>
                <EditIcon />
              </IconButton>
            )}
            {canDelete && (
              <IconButton label={t('conv.delete')} onClick={() => setConfirming(true)}>
                <TrashIcon />
              </IconButton>
            )}
          </div>
        )}
      </div>
      <Dialog title={t('conv.delete')} open={confirming} onClose={() => setConfirming(false)}>
        <p>{t('conv.deleteConfirm')}</p>
        <div className={styles.dialogActions}>
          <Button onClick={() => setConfirming(false)}>{t('dialog.cancel')}</Button>
          <Button variant="danger" onClick={() => void confirmDelete()}>{t('conv.delete')}</Button>
        </div>
      </Dialog>
    </li>
  );
}
