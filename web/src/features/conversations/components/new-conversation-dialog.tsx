// Starting a conversation: a direct one with a person, a group with chosen members, or joining a
// group by its invite code.
import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { FormMessage, TextField } from '../../../components/field';
import { useFormError } from '../../../hooks/use-form-error';
import { ApiError } from '../../../lib/api-client';
import { conversationsApi } from '../../../lib/api/endpoints';
import type { Conversation, Id, Profile } from '../../../lib/api/types';
import { useI18n } from '../../../lib/i18n/i18n';
import { useChatActions } from '../../../lib/sync/chat-context';
import { PeoplePicker } from './people-picker';
import styles from './dialogs.module.css';

type Tab = 'direct' | 'group' | 'join';

export function NewConversationDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const { t, locale } = useI18n();
  const navigate = useNavigate();
  const { adopt } = useChatActions();
  const [tab, setTab] = useState<Tab>('direct');
  const [title, setTitle] = useState('');
  const [members, setMembers] = useState<Map<Id, Profile>>(new Map());
  const [code, setCode] = useState('');
  const [busy, setBusy] = useState(false);
  const errors = useFormError();

  function done(c: Conversation) {
    adopt(c);
    setTitle('');
    setMembers(new Map());
    setCode('');
    setBusy(false);
    onClose();
    navigate(`/conversations/${c.id}`);
  }
  async function run(fields: string[], action: () => Promise<Conversation>) {
    errors.clear();
    setBusy(true);
    try {
      done(await action());
    } catch (e) {
      // A group refused because of one member: say who (the same rule as direct conversations).
      const refused = e instanceof ApiError && e.code === 'permission_denied' ? e.details.user_id : undefined;
      const name = typeof refused === 'string' ? members.get(refused)?.display_name : undefined;
      if (name) errors.setText(t('new.cannotAdd', { name }));
      else errors.set(e, fields);
      setBusy(false);
    }
  }

  const tabs: { id: Tab; label: string }[] = [
    { id: 'direct', label: t('new.direct') },
    { id: 'group', label: t('new.group') },
    { id: 'join', label: t('new.join') },
  ];
  return (
    <Dialog title={t('new.title')} open={open} onClose={onClose} wide>
      <div className={styles.tabs} role="group" aria-label={t('new.title')}>
        {tabs.map((x) => (
          <button key={x.id} type="button" className={styles.tab} aria-pressed={tab === x.id}
            onClick={() => { setTab(x.id); errors.clear(); }}>
            {x.label}
          </button>
        ))}
      </div>
      <FormMessage>{errors.formError}</FormMessage>
      {tab === 'direct' && (
        <PeoplePicker actionLabel={t('people.message')}
          onPick={(p) => void run([], () => conversationsApi.openDirect(p.id))} />
      )}
      {tab === 'group' && (
        <form onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void run(['title', 'member_ids'], () => conversationsApi.createGroup(title.trim(), [...members.keys()]));
        }}>
          <TextField label={t('new.groupTitle')} value={title} onChange={(e) => setTitle(e.target.value)} required
            maxLength={100} error={errors.fieldError('title')} />
          <PeoplePicker selected={new Set(members.keys())} onToggle={(p) => {
            const next = new Map(members);
            if (next.has(p.id)) next.delete(p.id);
            else next.set(p.id, p);
            setMembers(next);
          }} />
          <p className={styles.selected} aria-live="polite">
            {members.size > 0
              ? t('new.selectedNames', { names: new Intl.ListFormat(locale, { type: 'conjunction' }).format([...members.values()].map((p) => p.display_name)) })
              : t('new.selected', { count: 0 })}
          </p>
          {errors.fieldError('member_ids') && <p className={styles.error} role="alert">{errors.fieldError('member_ids')}</p>}
          <div className={styles.actions}>
            <Button type="submit" variant="primary" disabled={busy || !title.trim()}>{t('new.create')}</Button>
          </div>
        </form>
      )}
      {tab === 'join' && (
        <form onSubmit={(e: FormEvent) => {
          e.preventDefault();
          void run(['code'], () => conversationsApi.join(code.trim()));
        }}>
          <TextField label={t('new.code')} value={code} onChange={(e) => setCode(e.target.value)} required autoComplete="off"
            error={errors.fieldError('code')} />
          <div className={styles.actions}>
            <Button type="submit" variant="primary" disabled={busy || !code.trim()}>{t('new.joinSubmit')}</Button>
          </div>
        </form>
      )}
    </Dialog>
  );
}
