// Contacts: find people and send requests, answer requests for you, cancel yours, and manage
// contacts and blocks. Contact changes made by others are not sync events: the lists are read
// again when the page becomes visible and every half minute while it is open.
import { useCallback, useEffect, useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router-dom';
import { Avatar } from '../../../components/avatar';
import { Button } from '../../../components/button';
import { Dialog } from '../../../components/dialog';
import { FormMessage, TextField } from '../../../components/field';
import { Page, Section } from '../../../components/page';
import { Failed, Loading } from '../../../components/states';
import { contactsApi, conversationsApi, usersApi } from '../../../lib/api/endpoints';
import type { Block, Contact, ContactRequest, Profile } from '../../../lib/api/types';
import { useMe } from '../../../lib/auth/auth-context';
import { describeError } from '../../../lib/errors';
import { useI18n } from '../../../lib/i18n/i18n';
import { useChatActions } from '../../../lib/sync/chat-context';
import { primeProfiles } from '../../../lib/users/profiles';
import styles from './contacts.module.css';

interface Lists {
  contacts: Contact[];
  incoming: ContactRequest[];
  outgoing: ContactRequest[];
  blocks: Block[];
}

function useContactLists() {
  const [lists, setLists] = useState<Lists | null>(null);
  const [error, setError] = useState<unknown>(null);
  const reload = useCallback(async () => {
    try {
      const [contacts, incoming, outgoing, blocks] = await Promise.all([
        contactsApi.list(), contactsApi.requests('incoming'), contactsApi.requests('outgoing'), contactsApi.blocks(),
      ]);
      primeProfiles([...contacts.map((c) => c.user), ...incoming.map((r) => r.from_user), ...outgoing.map((r) => r.to_user)]);
      setLists({ contacts, incoming, outgoing, blocks });
      setError(null);
    } catch (e) {
      setError(e);
    }
  }, []);
  useEffect(() => {
    void reload();
    const onVisible = () => document.visibilityState === 'visible' && void reload();
    document.addEventListener('visibilitychange', onVisible);
    const timer = setInterval(onVisible, 30_000);
    return () => {
      document.removeEventListener('visibilitychange', onVisible);
      clearInterval(timer);
    };
  }, [reload]);
  return { lists, error, reload };
}

export function ContactsPage() {
  const { t } = useI18n();
  const { lists, error, reload } = useContactLists();
  const [actionError, setActionError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState<{ text: string; label: string; run: () => Promise<unknown> } | null>(null);
  const navigate = useNavigate();
  const { adopt } = useChatActions();

  const act = async (run: () => Promise<unknown>) => {
    setActionError(null);
    try {
      await run();
    } catch (e) {
      setActionError(describeError(t, e));
    }
    await reload();
  };
  const message = (p: Profile) => act(async () => {
    const c = await conversationsApi.openDirect(p.id);
    adopt(c);
    navigate(`/conversations/${c.id}`);
  });
  const askBlock = (p: Profile) => setConfirm({
    text: t('contacts.blockConfirm', { name: p.display_name }),
    label: t('contacts.block'),
    run: () => contactsApi.block(p.id),
  });

  return (
    <Page title={t('contacts.title')}>
      <FormMessage>{actionError}</FormMessage>
      <FindPeople lists={lists} onRequest={(p) => act(() => contactsApi.request(p.id))} />
      {error && !lists ? <Failed message={describeError(t, error)} onRetry={() => void reload()} /> : !lists ? <Loading /> : (
        <>
          <Section title={t('contacts.incoming')}>
            <PeopleList empty={t('contacts.noIncoming')} items={lists.incoming.map((r) => ({
              person: r.from_user,
              actions: (
                <>
                  <Button variant="primary" onClick={() => void act(() => contactsApi.accept(r.id))}>{t('contacts.accept')}</Button>
                  <Button onClick={() => void act(() => contactsApi.decline(r.id))}>{t('contacts.decline')}</Button>
                </>
              ),
            }))} />
          </Section>
          <Section title={t('contacts.outgoing')}>
            <PeopleList empty={t('contacts.noOutgoing')} items={lists.outgoing.map((r) => ({
              person: r.to_user,
              actions: <Button onClick={() => void act(() => contactsApi.cancel(r.id))}>{t('contacts.cancel')}</Button>,
            }))} />
          </Section>
          <Section title={t('contacts.list')}>
            <PeopleList empty={t('people.noContacts')} items={lists.contacts.map((c) => ({
              person: c.user,
              since: c.since,
              actions: (
                <>
                  <Button variant="primary" onClick={() => void message(c.user)}>{t('people.message')}</Button>
                  <Button onClick={() => setConfirm({
                    text: t('contacts.removeConfirm', { name: c.user.display_name }),
                    label: t('contacts.remove'),
                    run: () => contactsApi.remove(c.user.id),
                  })}>{t('contacts.remove')}</Button>
                  <Button variant="ghost" onClick={() => askBlock(c.user)}>{t('contacts.block')}</Button>
                </>
              ),
            }))} />
          </Section>
          <Section title={t('contacts.blocked')}>
            <PeopleList empty={t('contacts.noBlocked')} items={lists.blocks.map((b) => ({
              person: b.user,
              actions: <Button onClick={() => void act(() => contactsApi.unblock(b.user.id))}>{t('contacts.unblock')}</Button>,
            }))} />
          </Section>
        </>
      )}
      <Dialog title={confirm?.label ?? ''} open={confirm !== null} onClose={() => setConfirm(null)}>
        <p>{confirm?.text}</p>
        <div className={styles.dialogActions}>
          <Button onClick={() => setConfirm(null)}>{t('dialog.cancel')}</Button>
          <Button variant="danger" onClick={() => {
            const run = confirm!.run;
            setConfirm(null);
            void act(run);
          }}>{confirm?.label}</Button>
        </div>
      </Dialog>
    </Page>
  );
}

function FindPeople({ lists, onRequest }: { lists: Lists | null; onRequest: (p: Profile) => Promise<void> }) {
  const { t } = useI18n();
  const me = useMe();
  const [query, setQuery] = useState('');
  const [found, setFound] = useState<Profile[] | null>(null);
  useEffect(() => {
    const q = query.trim();
    if (!q) return setFound(null);
    const abort = new AbortController();
    const timer = setTimeout(() => {
      usersApi.search(q, abort.signal).then(setFound, () => undefined);
    }, 200);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [query]);
  const contactIds = new Set(lists?.contacts.map((c) => c.user.id));
  const pendingIds = new Set([...(lists?.outgoing.map((r) => r.to_user.id) ?? []), ...(lists?.incoming.map((r) => r.from_user.id) ?? [])]);
  return (
    <Section title={t('contacts.find')}>
      <TextField label={t('people.search')} type="search" placeholder={t('people.searchPlaceholder')} value={query}
        autoComplete="off" onChange={(e) => setQuery(e.target.value)} />
      {found && (
        <PeopleList empty={t('people.noResults')} items={found.filter((p) => p.id !== me.id).map((p) => ({
          person: p,
          actions: contactIds.has(p.id) ? <span className={styles.muted}>{t('error.already_contacts')}</span>
            : pendingIds.has(p.id) ? <span className={styles.muted}>{t('contacts.requestSent')}</span>
            : <Button variant="primary" onClick={() => void onRequest(p)}>{t('contacts.sendRequest')}</Button>,
        }))} />
      )}
    </Section>
  );
}

function PeopleList({ items, empty }: { items: { person: Profile; since?: string; actions: ReactNode }[]; empty: string }) {
  const { t, formatDate } = useI18n();
  if (items.length === 0) return <p className={styles.muted}>{empty}</p>;
  return (
    <ul className={styles.list}>
      {items.map(({ person, since, actions }) => (
        <li key={person.id} className={styles.person}>
          <Avatar id={person.id} name={person.display_name} />
          <span className={styles.names}>
            <span className={styles.name} dir="auto">{person.display_name}</span>
            <span className={styles.muted}>@{person.username}{since ? ` · ${t('contacts.since', { date: formatDate(since) })}` : ''}</span>
          </span>
          <span className={styles.actions} role="group" aria-label={t('contacts.actionsFor', { name: person.display_name })}>{actions}</span>
        </li>
      ))}
    </ul>
  );
}
