// Sending with a client_id: the message shows at once as pending, then as sent when the server's
// answer or its echo through sync arrives (whichever is first); on failure it stays in place,
// marked failed. Failures because the server was away are resent by themselves once sync is live
// again; the same client_id makes every resend safe (the server stores a message once).
// Messages still waiting survive a reload (localStorage, per user; never tokens).
import { ApiError } from '../api-client';
import { conversationsApi } from '../api/endpoints';
import type { Id, Message } from '../api/types';
import type { ChatStore, PendingMessage } from './chat-store';

export function newClientId(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes); // works on plain http too, unlike randomUUID
  return 'web-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

type Send = (conversationId: Id, body: string, clientId: string) => Promise<Message>;

export class SendQueue {
  private inFlight = new Set<string>();
  private readonly storageKey: string;

  constructor(
    private readonly store: ChatStore,
    private readonly send: Send = conversationsApi.send,
    private readonly storage: Storage | null = typeof localStorage !== 'undefined' ? localStorage : null,
  ) {
    this.storageKey = `parley.pending.${store.me}`;
    store.subscribe(this.persist);
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
    if (!p || this.inFlight.has(clientId)) return;
    this.inFlight.add(clientId);
    this.store.updatePending(clientId, { state: 'pending', error: undefined });
    try {
      const message = await this.send(p.conversationId, p.body, clientId);
      this.store.upsertMessage(message); // settles the pending copy
      this.store.dropPending(clientId);
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, 'network', String(e));
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
    if (!this.storage || pending === this.persisted) return;
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
