// The one sync engine: owns the cursor and the long-poll loop on /api/v1/sync, backs off with
// jitter while the server is away, reloads state on cursor_expired, and feeds the ChatStore.
import { api, ApiError } from '../api-client';
import { conversationsApi, syncApi } from '../api/endpoints';
import { env } from '../env';
import type { ChatStore } from './chat-store';

export interface SyncApi {
  poll: typeof syncApi.poll;
  conversations: typeof conversationsApi.list;
  latestMessages: (id: string) => ReturnType<typeof conversationsApi.messages>;
}

const defaultApi: SyncApi = {
  poll: syncApi.poll,
  conversations: conversationsApi.list,
  latestMessages: (id) => conversationsApi.messages(id, { limit: 50 }),
};

// Full jitter: a random wait up to an exponentially growing bound, so that clients a restart
// disconnected together do not come back together.
export function backoffDelay(attempt: number, random = Math.random): number {
  const bound = Math.min(env.reconnectMaxMs, env.reconnectMinMs * 2 ** Math.min(attempt, 10));
  return Math.round(bound / 2 + (random() * bound) / 2);
}

export class SyncEngine {
  private cursor: string | null = null;
  private generation = 0; // each start() runs one loop; stop() ends it
  private abort: AbortController | null = null;
  private wake: (() => void) | null = null;
  private liveListeners = new Set<() => void>();
  private running: Promise<void> | null = null;

  constructor(
    private readonly store: ChatStore,
    private readonly api: SyncApi = defaultApi,
    private readonly pollTimeoutMs: number = env.syncTimeoutMs,
  ) {}

  // Called each time the engine is (again) in step with the server: the send queue resends.
  onLive(listener: () => void): () => void {
    this.liveListeners.add(listener);
    return () => this.liveListeners.delete(listener);
  }

  start(): void {
    if (this.running && !this.stopping) return;
    const generation = ++this.generation;
    const previous = this.running ?? Promise.resolve();
    // A stop() and start() in a row (React StrictMode remounts): the new loop begins once the old
    // one has ended, so one loop at a time polls.
    this.running = previous.then(() => this.loop(generation));
    this.stopping = false;
    if (typeof window !== 'undefined') {
      window.removeEventListener('online', this.retryNow);
      window.addEventListener('online', this.retryNow);
    }
  }

  private stopping = false;
  async stop(): Promise<void> {
    this.stopping = true;
    this.generation++;
    this.abort?.abort();
    this.retryNow();
    if (typeof window !== 'undefined') window.removeEventListener('online', this.retryNow);
    const running = this.running;
    await running;
    if (this.running === running) this.running = null;
  }

  // Cuts a backoff wait short (the browser says it is online again).
  retryNow = (): void => {
    this.wake?.();
  };

  private async loop(generation: number): Promise<void> {
    let failures = 0;
    const current = () => generation === this.generation;
    while (current()) {
      try {
        if (this.cursor === null) {
          await this.reload();
          if (!current()) break;
          this.goLive();
        }
        this.abort = new AbortController();
        // A poll that hangs past its timeout (a network that dropped silently) is given up.
        const watchdog = setTimeout(() => this.abort?.abort(), this.pollTimeoutMs + 15_000);
        let page;
        try {
          // Back from a failure: a poll that answers at once tells that the server is there again.
          const live = this.store.getState().status === 'live';
          page = await this.api.poll(this.cursor, live ? this.pollTimeoutMs : 0, this.abort.signal);
        } finally {
          clearTimeout(watchdog);
        }
        if (!current()) break;
        this.store.applyEvents(page.events);
        this.cursor = page.cursor;
        failures = 0;
        this.goLive();
      } catch (e) {
        if (!current()) break;
        if (e instanceof ApiError && e.code === 'cursor_expired') {
          this.cursor = null; // reload state, keep what the user typed and what waits to be sent
          continue;
        }
        if (e instanceof ApiError && e.status === 401) {
          api.endSession(); // the session ended (the client could not refresh it): the app leaves
          break;
        }
        failures += 1;
        this.store.setStatus('reconnecting');
        await this.sleep(backoffDelay(failures - 1));
      }
    }
  }

  private goLive(): void {
    if (this.store.getState().status === 'live') return;
    this.store.setStatus('live');
    this.liveListeners.forEach((l) => l());
  }

  // Start over: take the current cursor first, then read the state, so that anything that
  // happens in between comes again as an event (applying it twice changes nothing).
  private async reload(): Promise<void> {
    const start = await this.api.poll(null, 0);
    const list = await this.api.conversations();
    this.store.replaceConversations(list);
    const open = Object.keys(this.store.getState().timelines);
    await Promise.all(
      open.map(async (id) => {
        const page = await this.api.latestMessages(id);
        this.store.addHistory(id, page.items, page.has_more, true);
      }),
    );
    this.cursor = start.cursor;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
