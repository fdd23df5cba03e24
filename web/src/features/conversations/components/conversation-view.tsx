// One conversation: its header, its history and the composer.
import { useEffect, useState } from 'react';
import { Link } from 'react-router-dom';
import { Avatar } from '../../../components/avatar';
import { IconButton } from '../../../components/button';
import { BackIcon, InfoIcon } from '../../../components/icons';
import { Empty, Loading } from '../../../components/states';
import { ApiError } from '../../../lib/api-client';
import { conversationsApi } from '../../../lib/api/endpoints';
import { useI18n } from '../../../lib/i18n/i18n';
import { useChat, useChatActions } from '../../../lib/sync/chat-context';
import { useConversationTitle } from '../hooks/use-conversation-title';
import { Composer } from './composer';
import { ConversationDetailsDialog } from './conversation-details-dialog';
import { MessageTimeline } from './message-timeline';
import styles from './conversation-view.module.css';

export function ConversationView({ id }: { id: string }) {
  const { t } = useI18n();
  const conversation = useChat((s) => s.conversations[id]);
  const loaded = useChat((s) => s.loaded);
  const removed = useChat((s) => s.removed[id] === true);
  const { adopt } = useChatActions();
  const title = useConversationTitle(conversation);
  const [details, setDetails] = useState(false);
  const [missing, setMissing] = useState(false);

  // A deep link to a conversation the list does not hold (yet): ask the server once.
  useEffect(() => {
    if (!loaded || conversation || removed) return;
    let cancelled = false;
    conversationsApi.get(id).then(
      (c) => !cancelled && adopt(c),
      (e) => !cancelled && e instanceof ApiError && e.status === 404 && setMissing(true),
    );
    return () => {
      cancelled = true;
    };
  }, [id, loaded, conversation, removed, adopt]);

  useEffect(() => {
    if (title) document.title = `${title} · Parley`;
    return () => {
      document.title = 'Parley';
    };
  }, [title]);

  if (!conversation) {
    if (missing || removed)
      return (
        <Empty title={t('conv.notFound')}>
          <Link to="/conversations">{t('app.backHome')}</Link>
        </Empty>
      );
    return <Loading />;
  }
  return (
    <div className={styles.view}>
      <header className={styles.header}>
        <Link to="/conversations" className={styles.back} aria-label={t('conv.back')} title={t('conv.back')}>
          <BackIcon />
        </Link>
        <Avatar id={conversation.id} name={title} />
        <div className={styles.heading}>
          <h2 dir="auto">{title}</h2>
          {conversation.kind === 'group' && (
            <span className={styles.sub}>{t('conv.members', { count: conversation.members.length })}</span>
          )}
        </div>
        <IconButton label={t('conv.details')} onClick={() => setDetails(true)}>
          <InfoIcon />
        </IconButton>
      </header>
      <MessageTimeline conversation={conversation} />
      <Composer conversationId={conversation.id} />
      <ConversationDetailsDialog conversation={conversation} open={details} onClose={() => setDetails(false)} />
    </div>
  );
}
