// Sending with a client_id: the message shows at once as pending, then as sent when the server's
// answer or its echo through sync arrives (whichever is first); on failure it stays in place,
// marked failed. Failures because the server was away are resent by themselves once sync is live
// again; the same client_id makes every resend safe (the server stores a message once).
// Messages still waiting survive a reload (localStorage, per user; never tokens).
import { ApiError } from '../api-client';
import { conversationsApi } from '../api/endpoints';
import type { Id, Message } from '../api/types';
import type { ChatStore, PendingMessage } from './chat-store';
import { backoffDelay } from './sync-engine';

export function newClientId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes); // works on plain http too, unlike randomUUID
  return 'web-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

type Send = (conversationId: Id, body: string, clientId: string) => Promise<Message>;

export class SendQueue {
  private inFlight = new Set<string>();
  private attempts = new Map<string, number>(); // failed tries of each message, for its backoff
  private timers = new Set<ReturnType<typeof setTimeout>>();
  private disposed = false;
  private unsubscribe: () => void;
  private readonly storageKey: string;

  constructor(
    private readonly store: ChatStore,
    private readonly send: Send = conversationsApi.send,
    private readonly storage: Storage | null = typeof localStorage !== 'undefined' ? localStorage : null,
  ) {
    this.storageKey = `parley.pending.${store.me}`;
    this.unsubscribe = store.subscribe(this.persist);
  }

  // The user signed out or the app closed: nothing more is sent or written to storage.
  dispose(): void {
    this.disposed = true;
    this.unsubscribe();
    this.timers.forEach(clearTimeout);
    this.timers.clear();
  }

  // Messages a previous page load did not get sent: shown again and sent.
  restore(): void {
    let saved: PendingMessage[] = [];
    try {
      saved = JSON.parse(this.storage?.getItem(this.storageKey) ?? '[]');
    } catch {
      saved = [];
    }
    for (const p of saved) {
      if (typeof p?.clientId !== 'string' || typeof p.body !== 'string' || typeof p.conversationId !== 'string') continue;
      if (typeof p.createdAt !== 'string' || Number.isNaN(Date.parse(p.createdAt))) continue;
      this.store.addPending({ ...p, state: 'pending' });
      void this.attempt(p.clientId);
    }
  }

  submit(conversationId: Id, body: string): string {
    const clientId = newClientId();
    this.store.addPending({
      clientId,
      conversationId,
      body,
      state: 'pending',
      createdAt: new Date().toISOString(),
      retryable: true,
    });
    void this.attempt(clientId);
    return clientId;
  }

  retry(clientId: string): void {
    void this.attempt(clientId);
  }

  discard(clientId: string): void {
    this.store.dropPending(clientId);
  }

  // Sync is in step again: resend what failed because the server was away.
  resendFailed = (): void => {
    for (const p of Object.values(this.store.getState().pending))
      if (p.state === 'failed' && p.retryable) void this.attempt(p.clientId);
  };

  private async attempt(clientId: string): Promise<void> {
    const p = this.store.getState().pending[clientId];
    if (!p || this.inFlight.has(clientId) || this.disposed) return;
    this.inFlight.add(clientId);
    this.store.updatePending(clientId, { state: 'pending', error: undefined });
    try {
      const message = await this.send(p.conversationId, p.body, clientId);
      this.store.upsertMessage(message); // settles the pending copy
      this.store.dropPending(clientId);
      this.attempts.delete(clientId);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, 'network', String(e));
      if (err.transient) {
        // Tried again by itself, later and later (and at once when sync is live again).
        const n = (this.attempts.get(clientId) ?? 0) + 1;
        this.attempts.set(clientId, n);
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (this.store.getState().pending[clientId]?.state === 'failed') void this.attempt(clientId);
        }, backoffDelay(n));
        this.timers.add(timer);
      }
      this.store.updatePending(clientId, {
        state: 'failed',
        retryable: err.transient,
        error: { status: err.status, code: err.code, message: err.message, field: err.field },
      });
    } finally {
      this.inFlight.delete(clientId);
    }
  }

  private persisted: Record<string, PendingMessage> | null = null;
  private persist = (): void => {
    const pending = this.store.getState().pending;
    if (!this.storage || this.disposed || pending === this.persisted) return;
    this.persisted = pending;
    const waiting = Object.values(pending);
    try {
      if (waiting.length === 0) this.storage.removeItem(this.storageKey);
      else this.storage.setItem(this.storageKey, JSON.stringify(waiting));
    } catch {
      // storage full or refused: the messages still show and are still sent while the page lives
    }
  };
}
