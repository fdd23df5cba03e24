// Writing a message: Enter sends, Shift+Enter makes a new line. The draft is kept per
// conversation across navigation and reloads; sending shows the message at once (pending).
import { useEffect, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { IconButton } from '../../../components/button';
import { SendIcon } from '../../../components/icons';
import { useMe } from '../../../lib/auth/auth-context';
import { useI18n } from '../../../lib/i18n/i18n';
import { loadDraft, saveDraft } from '../../../lib/local-data';
import { useChatActions } from '../../../lib/sync/chat-context';
import styles from './composer.module.css';

const MAX = 4000; // code points, as the API counts them

export function Composer({ conversationId }: { conversationId: string }) {
  const { t } = useI18n();
  const me = useMe();
  const { send } = useChatActions();
  const [text, setText] = useState(() => loadDraft(me.id, conversationId));
  const box = useRef<HTMLTextAreaElement>(null);
  const length = Array.from(text).length;
  const over = length - MAX;

  useEffect(() => saveDraft(me.id, conversationId, text), [me.id, conversationId, text]);

  // Grow with the text, up to a few lines.
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 180)}px`;
  }, [text]);

  function submit(e?: FormEvent) {
    e?.preventDefault();
    const body = text.trim();
    if (!body || over > 0) return;
    send(conversationId, body);
    setText('');
    box.current?.focus();
  }

  function onKeyDown(e: KeyboardEvent<HTMLTextAreaElement>) {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      submit();
    }
  }

  return (
    <form className={styles.composer} onSubmit={submit}>
      <label htmlFor="composer" className="visually-hidden">{t('conv.composer')}</label>
      <textarea id="composer" ref={box} className={styles.input} rows={1} value={text} dir="auto"
        placeholder={t('conv.composerPlaceholder')} aria-describedby={over > 0 ? 'composer-hint composer-over' : 'composer-hint'}
        aria-invalid={over > 0 || undefined} onChange={(e) => setText(e.target.value)} onKeyDown={onKeyDown} />
      <span id="composer-hint" className="visually-hidden">{t('conv.composerHint')}</span>
      {over > 0 && <span id="composer-over" className={styles.over} role="alert">{t('conv.tooLong', { count: over })}</span>}
      <IconButton label={t('conv.send')} type="submit" className={styles.send} disabled={!text.trim() || over > 0}>
        <SendIcon />
      </IconButton>
    </form>
  );
}
