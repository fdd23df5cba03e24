// Other people's public profiles, read once and kept for the session. A profile the server no
// longer has (a deleted account) is remembered as deleted.
import { useSyncExternalStore } from 'react';
import { ApiError } from '../api-client';
import { usersApi } from '../api/endpoints';
import type { Id, Profile } from '../api/types';

export type ProfileEntry = Profile | 'deleted' | undefined; // undefined: not known yet

const entries = new Map<Id, Profile | 'deleted'>();
const inFlight = new Set<Id>();
const failedUntil = new Map<Id, number>(); // a failed read is not tried again before this time
const listeners = new Set<() => void>();
let version = 0;

function changed() {
  version++;
  listeners.forEach((l) => l());
}

export function primeProfiles(profiles: Profile[]): void {
  let any = false;
  for (const p of profiles) {
    const known = entries.get(p.id);
    if (known === undefined || (known !== 'deleted' && (known.display_name !== p.display_name || known.bio !== p.bio))) {
      entries.set(p.id, p);
      any = true;
    }
  }
  if (any) changed();
}

function load(id: Id): void {
  if (entries.has(id) || inFlight.has(id) || (failedUntil.get(id) ?? 0) > Date.now()) return;
  inFlight.add(id);
  usersApi.get(id).then(
    (p) => {
      entries.set(id, p);
      changed();
    },
    (e) => {
      if (e instanceof ApiError && e.status === 404) {
        entries.set(id, 'deleted');
        changed();
      } else {
        failedUntil.set(id, Date.now() + 10_000); // asked again by a later render after this
      }
    },
  ).finally(() => inFlight.delete(id));
}

const subscribe = (l: () => void) => {
  listeners.add(l);
  return () => listeners.delete(l);
};

export function useProfile(id: Id | undefined): ProfileEntry {
  useSyncExternalStore(subscribe, () => version);
  if (!id) return undefined;
  const entry = entries.get(id);
  if (entry === undefined) load(id);
  return entry;
}

// Several at once (members of a group); same rules.
export function useProfiles(ids: Id[]): ProfileEntry[] {
  useSyncExternalStore(subscribe, () => version);
  return ids.map((id) => {
    const entry = entries.get(id);
    if (entry === undefined) load(id);
    return entry;
  });
}
