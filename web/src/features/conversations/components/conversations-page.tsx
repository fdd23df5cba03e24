// Conversations: the list beside the open conversation on wide screens; on a phone, one or the
// other.
import { useState } from 'react';
import { useParams } from 'react-router-dom';
import { Button } from '../../../components/button';
import { Empty } from '../../../components/states';
import { PlusIcon } from '../../../components/icons';
import { useI18n } from '../../../lib/i18n/i18n';
import { ConversationList } from './conversation-list';
import { ConversationView } from './conversation-view';
import { NewConversationDialog } from './new-conversation-dialog';
import styles from './conversations-page.module.css';

export function ConversationsPage() {
  const { conversationId } = useParams();
  const { t } = useI18n();
  const [creating, setCreating] = useState(false);
  return (
    <div className={styles.page} data-open={conversationId ? true : undefined}>
      <section className={styles.sidebar} aria-labelledby="conversations-heading">
        <div className={styles.sidebarHeader}>
          <h1 id="conversations-heading">{t('conv.list.title')}</h1>
          <Button variant="primary" onClick={() => setCreating(true)} aria-label={t('conv.list.new')}>
            <PlusIcon />
            <span>{t('conv.list.newShort')}</span>
          </Button>
        </div>
        <div className={styles.listScroller}>
          <ConversationList />
        </div>
      </section>
      <section className={styles.pane}>
        {conversationId ? <ConversationView key={conversationId} id={conversationId} /> : <Empty title={t('conv.pick')} />}
      </section>
      <NewConversationDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  );
}
