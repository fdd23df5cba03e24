import { afterEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api-client';
import type { Conversation, Message, SyncPage } from '../api/types';
import { ChatStore } from './chat-store';
import { backoffDelay, SyncEngine, type SyncApi } from './sync-engine';

const msg = (seq: number): Message => ({
  id: `m${seq}`, conversation_id: 'c1', seq, sender_id: 'bob', body: `m${seq}`, client_id: null,
  created_at: '2026-01-01T00:00:00.000Z', edited_at: null, deleted: false,
});
const conv: Conversation = {
  id: 'c1', kind: 'direct', title: null, members: [{ user_id: 'me', role: 'member' }, { user_id: 'bob', role: 'member' }],
  created_at: '2026-01-01T00:00:00.000Z', last_message: null, unread_count: 0,
};
const created = (seq: number) => ({ type: 'message.created' as const, conversation_id: 'c1', message: msg(seq) });

// A server scripted poll by poll: each entry answers one long poll (a page, or an error to throw).
function scripted(polls: (SyncPage | Error)[]) {
  const cursors: (string | null)[] = [];
  let reloads = 0;
  const api: SyncApi = {
    poll: vi.fn(async (cursor: string | null, _timeout: number, signal?: AbortSignal) => {
      if (cursor === null) {
        reloads++;
        return { cursor: `start${reloads}`, events: [] };
      }
      cursors.push(cursor);
      const next = polls.shift();
      if (!next) // a poll that waits until it is given up
        return new Promise<SyncPage>((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted'))));
      if (next instanceof Error) throw next;
      return next;
    }),
    conversations: vi.fn(async () => [conv]),
    latestMessages: vi.fn(async () => ({ items: [msg(1)], has_more: false })),
  };
  return { api, cursors, reloads: () => reloads };
}

const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
};

afterEach(() => vi.useRealTimers());

describe('SyncEngine', () => {
  it('loads state, then applies each page of events once, passing each cursor on', async () => {
    const store = new ChatStore('me');
    const { api, cursors } = scripted([
      { cursor: 'a', events: [created(1)] },
      { cursor: 'b', events: [created(2)] },
    ]);
    const engine = new SyncEngine(store, api, 10);
    engine.start();
    await until(() => cursors.length === 3);
    expect(cursors).toEqual(['start1', 'a', 'b']);
    expect(store.getState().conversations.c1.last_message?.seq).toBe(2);
    expect(store.getState().status).toBe('live');
    await engine.stop();
  });

  it('shows reconnecting while the server is away, backs off, then catches up from the same cursor', async () => {
    const store = new ChatStore('me');
    const network = new ApiError(0, 'network', 'down');
    const { api, cursors } = scripted([network, network, { cursor: 'after', events: [created(5)] }]);
    const engine = new SyncEngine(store, api, 10);
    const live = vi.fn();
    engine.onLive(live);
    const statuses: string[] = [];
    store.subscribe(() => statuses.push(store.getState().status));
    engine.start();
    await until(() => store.getState().status === 'reconnecting');
    engine.retryNow(); // cut the backoff waits short (as the browser's "online" event does)
    await until(() => cursors.length >= 2);
    engine.retryNow();
    await until(() => cursors.length >= 4);
    // Every retry asked from the cursor it had: nothing skipped.
    expect(cursors.slice(0, 3)).toEqual(['start1', 'start1', 'start1']);
    expect(store.getState().status).toBe('live');
    expect(store.getState().conversations.c1.last_message?.seq).toBe(5);
    expect(statuses).toContain('reconnecting');
    expect(live).toHaveBeenCalledTimes(2); // after the first load, and when the server came back
    await engine.stop();
  });

  it('reloads the state on cursor_expired and keeps what waits to be sent', async () => {
    const store = new ChatStore('me');
    const { api, reloads } = scripted([new ApiError(410, 'cursor_expired', 'too old'), { cursor: 'x', events: [] }]);
    store.addPending({ clientId: 'k', conversationId: 'c1', body: 'typed', state: 'failed', createdAt: '', retryable: true });
    const engine = new SyncEngine(store, api, 10);
    engine.start();
    await until(() => reloads() === 2);
    await until(() => store.getState().status === 'live');
    expect(store.getState().pending.k.body).toBe('typed');
    expect(store.getState().conversations.c1).toBeDefined();
    await engine.stop();
  });

  it('runs one loop after a stop and an immediate start (React StrictMode remounts effects)', async () => {
    const store = new ChatStore('me');
    const { api, cursors } = scripted([{ cursor: 'a', events: [created(1)] }, { cursor: 'b', events: [created(2)] }]);
    const engine = new SyncEngine(store, api, 10);
    engine.start();
    void engine.stop();
    engine.start();
    await until(() => store.getState().conversations.c1?.last_message?.seq === 2);
    await until(() => cursors.includes('b'));
    // Still polling after the restart, from the cursor the events gave.
    expect(cursors.at(-1)).toBe('b');
    await engine.stop();
  });

  it('waits longer after each failure, with jitter, within bounds', () => {
    const low = [0, 1, 2, 3, 8].map((n) => backoffDelay(n, () => 0));
    const high = [0, 1, 2, 3, 8].map((n) => backoffDelay(n, () => 1));
    expect(low[0]).toBeLessThan(high[0]);
    expect(high).toEqual([...high].sort((a, b) => a - b));
    expect(Math.max(...high)).toBeLessThanOrEqual(15_000);
    expect(Math.min(...low)).toBeGreaterThan(0);
  });
});
