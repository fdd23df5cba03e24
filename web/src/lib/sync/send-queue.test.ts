import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '../api-client';
import type { Message } from '../api/types';
import { ChatStore } from './chat-store';
import { SendQueue } from './send-queue';

const stored = (clientId: string, body: string): Message => ({
  id: 'm1', conversation_id: 'c1', seq: 1, sender_id: 'me', body, client_id: clientId,
  created_at: '2026-01-01T00:00:00.000Z', edited_at: null, deleted: false,
});
const flush = () => new Promise((r) => setTimeout(r, 0));
// The server storing what it is sent.
const storesIt = async (_c: string, body: string, clientId: string) => stored(clientId, body);

// A queue whose first send fails with `error` and whose later sends are stored.
function failingOnce(error: ApiError) {
  const store = new ChatStore('me');
  const send = vi.fn().mockRejectedValueOnce(error).mockImplementation(storesIt);
  return { store, send, queue: new SendQueue(store, send, null) };
}

class MemoryStorage {
  data = new Map<string, string>();
  getItem(k: string) { return this.data.get(k) ?? null; }
  setItem(k: string, v: string) { this.data.set(k, v); }
  removeItem(k: string) { this.data.delete(k); }
}

describe('SendQueue', () => {
  it('shows the message at once, marks it failed while the server is away, and resends it with the same client_id', async () => {
    const { store, send, queue } = failingOnce(new ApiError(0, 'network', 'down'));
    const clientId = queue.submit('c1', 'hello');
    expect(store.getState().pending[clientId]).toMatchObject({ state: 'pending', body: 'hello' });
    await flush();
    expect(store.getState().pending[clientId]).toMatchObject({ state: 'failed', retryable: true });
    queue.resendFailed();
    await flush();
    expect(send.mock.calls.map((c) => c[2])).toEqual([clientId, clientId]);
    expect(store.getState().pending).toEqual({});
  });

  it('tries a send that failed for a transient reason again by itself, with the same client_id', async () => {
    vi.useFakeTimers();
    try {
      const { store, send, queue } = failingOnce(new ApiError(503, 'unavailable', 'busy'));
      const clientId = queue.submit('c1', 'later');
      await vi.advanceTimersByTimeAsync(0);
      expect(store.getState().pending[clientId].state).toBe('failed');
      await vi.advanceTimersByTimeAsync(20_000);
      expect(send).toHaveBeenCalledTimes(2);
      expect(send.mock.calls[1][2]).toBe(clientId);
      expect(store.getState().pending).toEqual({});
      queue.dispose();
    } finally {
      vi.useRealTimers();
    }
  });

  it('does not resend by itself what the server refused, but keeps it for a manual retry', async () => {
    const store = new ChatStore('me');
    const send = vi.fn().mockRejectedValue(new ApiError(403, 'permission_denied', 'blocked'));
    const queue = new SendQueue(store, send, null);
    const clientId = queue.submit('c1', 'hello');
    await flush();
    queue.resendFailed();
    await flush();
    expect(send).toHaveBeenCalledTimes(1);
    expect(store.getState().pending[clientId]).toMatchObject({ state: 'failed', retryable: false, error: { status: 403, code: 'permission_denied' } });
  });

  it('keeps unsent messages across a reload and sends them again', async () => {
    const storage = new MemoryStorage() as unknown as Storage;
    const first = new ChatStore('me');
    const queue1 = new SendQueue(first, vi.fn(() => new Promise<Message>(() => {})), storage);
    const clientId = queue1.submit('c1', 'survives');
    const second = new ChatStore('me');
    const send = vi.fn(storesIt);
    new SendQueue(second, send, storage).restore();
    await flush();
    expect(send).toHaveBeenCalledWith('c1', 'survives', clientId);
    expect(second.getState().pending).toEqual({});
    expect(storage.getItem('parley.pending.me')).toBeNull();
  });
});
