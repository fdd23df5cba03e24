// A conversation's history: virtualized (only what is near the viewport is in the DOM), older
// messages loaded as the reader scrolls up without the view jumping, kept at the bottom while
// the reader is there, the read marker moved as messages are seen, and new messages of others
// announced politely to screen readers.
import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { Button } from '../../../components/button';
import { DownIcon } from '../../../components/icons';
import { Failed, Loading } from '../../../components/states';
import type { Conversation, Message } from '../../../lib/api/types';
import { useMe } from '../../../lib/auth/auth-context';
import { useI18n } from '../../../lib/i18n/i18n';
import { useChat, useChatActions } from '../../../lib/sync/chat-context';
import type { PendingMessage } from '../../../lib/sync/chat-store';
import { useProfile } from '../../../lib/users/profiles';
import { MessageItem, type EditState, type Row } from './message-item';
import styles from './message-timeline.module.css';

const ESTIMATE = 64; // px: a one-line message with its meta line
const LOAD_OLDER_WITHIN = 400; // px from the top
const TOP_LINE = 36; // px: the line above the list ("Loading older messages…", the beginning)

// The first message the caller has not read: walk back over others' messages, as many as unread.
function firstUnreadSeq(messages: Message[], unread: number, me: string): number | null {
  if (unread <= 0) return null;
  let left = unread;
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.sender_id === me || m.deleted) continue;
    if (--left === 0) return m.seq;
  }
  return messages[0]?.seq ?? null;
}

export function MessageTimeline({ conversation }: { conversation: Conversation }) {
  const { t } = useI18n();
  const me = useMe();
  const id = conversation.id;
  const timeline = useChat((s) => s.timelines[id]);
  const pendingAll = useChat((s) => s.pending);
  const { openTimeline, loadOlder, markRead, store } = useChatActions();
  const scroller = useRef<HTMLDivElement>(null);
  const stick = useRef(true); // keep the newest message in view
  const [atBottom, setAtBottom] = useState(true);
  const [unreadFrom, setUnreadFrom] = useState<number | null | undefined>(undefined);
  const [edit, setEdit] = useState<{ id: string | null; draft: string }>({ id: null, draft: '' });
  const editState = useMemo<EditState>(
    () => ({ ...edit, set: (id, draft = '') => setEdit({ id, draft }) }),
    [edit],
  );

  useEffect(() => {
    void openTimeline(id);
  }, [id, openTimeline]);

  const messages = timeline?.messages;
  useEffect(() => {
    // Where "New messages" goes: decided once, when the history first shows.
    if (messages && messages.length > 0 && unreadFrom === undefined)
      setUnreadFrom(firstUnreadSeq(messages, conversation.unread_count, me.id));
  }, [messages, unreadFrom, conversation.unread_count, me.id]);

  const rows = useMemo<Row[]>(() => {
    const out: Row[] = [];
    let prev: { sender: string; at: string } | null = null;
    const push = (key: string, sender: string, at: string, message: Message | null, pending: PendingMessage | null) => {
      const day = new Date(at).toDateString();
      const newDay = !prev || new Date(prev.at).toDateString() !== day;
      const grouped = !!prev && !newDay && prev.sender === sender && Date.parse(at) - Date.parse(prev.at) < 5 * 60_000;
      const unreadMark = message !== null && message.seq === unreadFrom;
      out.push({ key, message, pending, newDay, grouped: grouped && !unreadMark, unreadMark });
      prev = { sender, at };
    };
    for (const m of messages ?? []) push(m.id, m.sender_id, m.created_at, m, null);
    for (const p of Object.values(pendingAll))
      if (p.conversationId === id) push(`pending-${p.clientId}`, me.id, p.createdAt, null, p);
    return out;
  }, [messages, pendingAll, id, me.id, unreadFrom]);

  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scroller.current,
    estimateSize: () => ESTIMATE,
    getItemKey: (i) => rows[i].key,
    overscan: 8,
  });

  // A row that changes height in the upper half of the view (a day line that goes once the day
  // before it loads, say) moves what is above, not the message being read below it.
  virtualizer.shouldAdjustScrollPositionOnItemSizeChange = (item, _delta, instance) =>
    item.start < (instance.scrollOffset ?? 0) + (instance.scrollRect?.height ?? 0) / 2;

  // Older messages arrived above: keep the reader's message where it was on the screen.
  const firstKey = useRef<string | null>(null);
  useLayoutEffect(() => {
    const previous = firstKey.current;
    firstKey.current = rows[0]?.key ?? null;
    if (!previous || previous === rows[0]?.key || stick.current) return;
    const added = rows.findIndex((r) => r.key === previous);
    if (added > 0 && scroller.current) virtualizer.scrollToOffset(scroller.current.scrollTop + added * ESTIMATE);
  }, [rows, virtualizer]);

  // At the bottom: stay there as messages arrive and as their real heights are measured.
  const totalSize = virtualizer.getTotalSize();
  useLayoutEffect(() => {
    const el = scroller.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [totalSize, rows.length]);

  // My own new message always brings me to the bottom.
  const lastRow = rows[rows.length - 1];
  useLayoutEffect(() => {
    if (lastRow?.pending?.state === 'pending' && scroller.current) {
      stick.current = true;
      scroller.current.scrollTop = scroller.current.scrollHeight;
    }
  }, [lastRow?.key, lastRow?.pending?.state]);

  // After a failed page, older pages are asked for again only by the Retry button.
  const hasOlder = (timeline?.hasOlder ?? false) && !timeline?.error;
  const loadingOlder = timeline?.loadingOlder ?? false;

  // The read marker: the newest message fully in view, once the page is visible.
  const seeRead = useCallback(() => {
    const el = scroller.current;
    if (!el || document.visibilityState !== 'visible') return;
    const bottom = el.scrollTop + el.clientHeight - TOP_LINE; // in the list's own coordinates
    let seen = 0;
    for (const item of virtualizer.getVirtualItems()) {
      const row = rows[item.index];
      if (row?.message && item.end <= bottom + 2) seen = Math.max(seen, row.message.seq);
    }
    if (seen > 0) markRead(id, seen);
  }, [virtualizer, rows, markRead, id]);

  const onScroll = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    const fromBottom = el.scrollHeight - el.scrollTop - el.clientHeight;
    stick.current = fromBottom < 48;
    setAtBottom(stick.current);
    if (el.scrollTop < LOAD_OLDER_WITHIN && hasOlder && !loadingOlder) void loadOlder(id);
    seeRead();
  }, [hasOlder, loadingOlder, loadOlder, id, seeRead]);

  // After each change (a page loaded, a message arrived): maybe load more, mark what is seen.
  useEffect(() => {
    const el = scroller.current;
    if (!el) return;
    if (el.scrollTop < LOAD_OLDER_WITHIN && hasOlder && !loadingOlder && timeline && timeline.messages.length > 0)
      void loadOlder(id);
    seeRead();
  }, [rows, hasOlder, loadingOlder, timeline, loadOlder, id, seeRead]);

  useEffect(() => {
    document.addEventListener('visibilitychange', seeRead);
    return () => document.removeEventListener('visibilitychange', seeRead);
  }, [seeRead]);

  const announcement = useAnnouncement(messages, me.id);

  if (!timeline || (timeline.messages.length === 0 && timeline.loadingOlder)) return <div className={styles.scroller}><Loading /></div>;
  if (timeline.error && timeline.messages.length === 0)
    return <div className={styles.scroller}><Failed message={t('conv.loadError')} onRetry={() => void openTimeline(id)} /></div>;

  return (
    <div className={styles.wrap}>
      <div ref={scroller} className={styles.scroller} onScroll={onScroll} data-testid="timeline-scroller">
        <div className={styles.top}>
          {loadingOlder ? t('conv.loadingOlder') : timeline.error ? (
            <button type="button" className={styles.retry} onClick={() => {
              store.setTimelineLoading(id, false);
              void loadOlder(id);
            }}>{t('conv.loadError')} {t('app.retry')}</button>
          ) : !hasOlder && rows.length > 0 ? t('conv.beginning') : ''}
        </div>
        {rows.length === 0 && <p className={styles.empty}>{t('conv.emptyTimeline')}</p>}
        <ul className={styles.list} aria-label={t('conv.history')} style={{ height: totalSize }}>
          {virtualizer.getVirtualItems().map((item) => (
            <MessageItem key={item.key} row={rows[item.index]} conversation={conversation} index={item.index}
              total={rows.length} start={item.start} measure={virtualizer.measureElement} edit={editState} />
          ))}
        </ul>
      </div>
      {!atBottom && (
        <Button className={styles.jump} onClick={() => {
          stick.current = true;
          setAtBottom(true);
          virtualizer.scrollToIndex(rows.length - 1, { align: 'end' });
        }}>
          <DownIcon />
          <span>{t('conv.jumpToLatest')}</span>
        </Button>
      )}
      <div className="visually-hidden" aria-live="polite" aria-atomic="true">{announcement}</div>
    </div>
  );
}

// "New message from Bob: …" for the newest message of someone else that arrives while the view
// is open (not for history being loaded).
function useAnnouncement(messages: Message[] | undefined, me: string): string {
  const { t } = useI18n();
  const seen = useRef<number | null>(null);
  const [latest, setLatest] = useState<Message | null>(null);
  useEffect(() => {
    if (!messages || messages.length === 0) return;
    const last = messages[messages.length - 1];
    if (seen.current === null) {
      seen.current = last.seq;
      return;
    }
    if (last.seq > seen.current) {
      seen.current = last.seq;
      if (last.sender_id !== me && !last.deleted) setLatest(last);
    }
  }, [messages, me]);
  const sender = useProfile(latest?.sender_id);
  if (!latest) return '';
  const name = sender && sender !== 'deleted' ? sender.display_name : t('conv.deletedUser');
  return t('conv.announce', { name, text: (latest.body ?? '').slice(0, 200) });
}
