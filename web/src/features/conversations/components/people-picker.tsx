// Choosing people: the caller's contacts, or anyone found by a search. Single mode answers one
// choice; multi mode keeps a set of chosen ids.
import { useEffect, useState } from 'react';
import { Avatar } from '../../../components/avatar';
import { Button } from '../../../components/button';
import { TextField } from '../../../components/field';
import { Loading } from '../../../components/states';
import { contactsApi, usersApi } from '../../../lib/api/endpoints';
import type { Id, Profile } from '../../../lib/api/types';
import { useMe } from '../../../lib/auth/auth-context';
import { useI18n } from '../../../lib/i18n/i18n';
import { primeProfiles } from '../../../lib/users/profiles';
import styles from './people-picker.module.css';

export function PeoplePicker({ actionLabel, onPick, selected, onToggle, exclude = [] }: {
  actionLabel?: string;
  onPick?: (p: Profile) => void;
  selected?: Set<Id>;
  onToggle?: (p: Profile) => void;
  exclude?: Id[];
}) {
  const { t } = useI18n();
  const me = useMe();
  const [query, setQuery] = useState('');
  const [contacts, setContacts] = useState<Profile[] | null>(null);
  const [results, setResults] = useState<Profile[] | null>(null);

  useEffect(() => {
    contactsApi.list().then((list) => {
      const people = list.map((c) => c.user);
      primeProfiles(people);
      setContacts(people);
    }, () => setContacts([]));
  }, []);

  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setResults(null);
      return;
    }
    const abort = new AbortController();
    const timer = setTimeout(() => {
      usersApi.search(q, abort.signal).then((found) => {
        primeProfiles(found);
        setResults(found);
      }, () => undefined);
    }, 200);
    return () => {
      clearTimeout(timer);
      abort.abort();
    };
  }, [query]);

  const shown = (results ?? contacts ?? []).filter((p) => p.id !== me.id && !exclude.includes(p.id));
  return (
    <div>
      <TextField label={t('people.search')} type="search" placeholder={t('people.searchPlaceholder')} value={query}
        onChange={(e) => setQuery(e.target.value)} autoComplete="off" />
      <h3 className={styles.heading}>{results ? t('people.results') : t('people.yourContacts')}</h3>
      {contacts === null && !results ? (
        <Loading />
      ) : shown.length === 0 ? (
        <p className={styles.none}>{results ? t('people.noResults') : t('people.noContacts')}</p>
      ) : (
        <ul className={styles.list}>
          {shown.map((p) => (
            <li key={p.id} className={styles.person}>
              <Avatar id={p.id} name={p.display_name} size={28} />
              <span className={styles.names}>
                <span className={styles.name} dir="auto">{p.display_name}</span>
                <span className={styles.username}>@{p.username}</span>
              </span>
              {onToggle ? (
                <input type="checkbox" className={styles.check} checked={selected?.has(p.id) ?? false}
                  aria-label={t('people.select', { name: p.display_name })} onChange={() => onToggle(p)} />
              ) : (
                <Button onClick={() => onPick?.(p)} aria-label={t('people.actionFor', { action: actionLabel ?? '', name: p.display_name })}>{actionLabel}</Button>
              )}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
