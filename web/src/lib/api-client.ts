// The one API client: attaches the access token (kept in memory only), refreshes it once on a
// 401 (the refresh token is an HttpOnly cookie the page never sees), and turns every failure into
// one error type, ApiError, read from the API's error envelope.
import { env } from './env';
import type { AuthResponse } from './api/types';

export class ApiError extends Error {
  readonly status: number; // 0 when the server could not be reached
  readonly code: string;
  readonly details: Record<string, unknown>;

  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  // The request field at fault, when the server named one.
  get field(): string | undefined {
    return typeof this.details.field === 'string' ? this.details.field : undefined;
  }
  get retryAfterMs(): number | undefined {
    return typeof this.details.retry_after_ms === 'number' ? this.details.retry_after_ms : undefined;
  }
  // The server was away or answered that it is (unavailable, overloaded): worth trying again.
  get transient(): boolean {
    return this.status === 0 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  signal?: AbortSignal;
  auth?: boolean; // send the access token and refresh it on 401 (default true)
}

type Fetch = typeof fetch;

// Where Web Locks are missing (pages served over plain http on a LAN address are not a secure
// context), tabs take turns refreshing through a short lease in localStorage: write a claim, wait,
// and go only if the claim is still ours. Without any storage, the refresh just runs.
async function withStorageLease<T>(run: () => Promise<T>): Promise<T> {
  const KEY = 'parley.refresh-lease';
  const me = Math.random().toString(36).slice(2);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  let storage: Storage | null = null;
  try {
    storage = typeof localStorage !== 'undefined' ? localStorage : null;
  } catch {
    storage = null;
  }
  if (!storage) return run();
  for (let tries = 0; tries < 100; tries++) {
    const held = JSON.parse(storage.getItem(KEY) ?? 'null') as { id: string; until: number } | null;
    if (!held || held.until < Date.now()) {
      storage.setItem(KEY, JSON.stringify({ id: me, until: Date.now() + 10_000 }));
      await sleep(30);
      if ((JSON.parse(storage.getItem(KEY) ?? 'null') as { id: string } | null)?.id === me) {
        try {
          return await run();
        } finally {
          storage.removeItem(KEY);
        }
      }
    }
    await sleep(50 + Math.random() * 50);
  }
  return run();
}
const WEB_CLIENT_HEADER = { 'X-Parley-Client': 'web' };

async function toApiError(response: Response): Promise<ApiError> {
  let code = 'http_' + response.status;
  let message = response.statusText || `HTTP ${response.status}`;
  let details: Record<string, unknown> = {};
  try {
    const body = await response.json();
    if (body && typeof body.error === 'object' && body.error) {
      code = String(body.error.code ?? code);
      message = String(body.error.message ?? message);
      if (body.error.details && typeof body.error.details === 'object') details = body.error.details;
    }
  } catch {
    // not the envelope (a gateway's HTML page, say): keep the status
  }
  return new ApiError(response.status, code, message, details);
}

export class ApiClient {
  private accessToken: string | null = null;
  private refreshing: Promise<boolean> | null = null;
  private signedOutListeners = new Set<() => void>();

  constructor(private readonly fetchImpl: Fetch = (...args) => fetch(...args)) {}

  get signedIn(): boolean {
    return this.accessToken !== null;
  }
  setAccessToken(token: string | null): void {
    this.accessToken = token;
  }
  // Called when the session ended on its own (refresh refused): the app goes to the login page.
  onSignedOut(listener: () => void): () => void {
    this.signedOutListeners.add(listener);
    return () => this.signedOutListeners.delete(listener);
  }

  async request<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const auth = options.auth ?? true;
    const tokenUsed = auth ? this.accessToken : null;
    let response = await this.send(path, options, auth);
    if (response.status === 401 && tokenUsed !== null) {
      const error = await toApiError(response);
      // invalid_credentials (a wrong current password, say) is an answer, not an expired token.
      if (error.code !== 'unauthenticated') throw error;
      // Another request may have refreshed meanwhile: then just try again with the new token.
      const fresh = this.accessToken !== null && this.accessToken !== tokenUsed;
      if (!fresh && !(await this.refresh())) {
        this.endSession();
        throw error;
      }
      response = await this.send(path, options, auth);
    }
    if (!response.ok) throw await toApiError(response);
    if (response.status === 204) return undefined as T;
    const text = await response.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  // Trades the refresh cookie for a new access token, once at a time in this tab and, where the
  // browser has Web Locks, across tabs (each refresh rotates the cookie: two tabs presenting the
  // same one would look like theft and end the session).
  refresh(): Promise<boolean> {
    if (!this.refreshing) {
      const run = async () => {
        try {
          const response = await this.fetchImpl(env.apiBase + '/api/v1/auth/refresh', {
            method: 'POST',
            headers: { 'Content-Type': 'application/json', ...WEB_CLIENT_HEADER },
            body: '{}',
            credentials: 'same-origin',
          });
          if (!response.ok) {
            if (response.status !== 401 && response.status !== 403) throw await toApiError(response);
            this.accessToken = null;
            return false;
          }
          const body = (await response.json()) as { access_token: string };
          this.accessToken = body.access_token;
          return true;
        } catch (e) {
          if (e instanceof ApiError) throw e;
          throw new ApiError(0, 'network', 'the server cannot be reached');
        }
      };
      const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
      const locked = locks ? (locks.request('parley-refresh', run) as unknown as Promise<boolean>) : withStorageLease(run);
      this.refreshing = locked.finally(() => {
        this.refreshing = null;
      });
    }
    return this.refreshing!;
  }

  // Register or log in: the access token comes in the body, the refresh token as a cookie.
  async authenticate(path: '/api/v1/auth/login' | '/api/v1/auth/register', body: unknown): Promise<AuthResponse> {
    const result = await this.request<AuthResponse>(path, { method: 'POST', body, auth: false });
    this.accessToken = result.access_token;
    return result;
  }

  // Revokes the session on the server and forgets the token here.
  async logout(): Promise<void> {
    // A server that does not answer must not keep the user signed in here: give it 5 s.
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), 5000);
    try {
      await this.request<void>('/api/v1/auth/logout', { method: 'POST', body: {}, auth: false, signal: abort.signal });
    } finally {
      clearTimeout(timer);
      this.accessToken = null;
    }
  }

  endSession(): void {
    this.accessToken = null;
    this.signedOutListeners.forEach((listener) => listener());
  }

  private async send(path: string, options: RequestOptions, auth: boolean): Promise<Response> {
    const headers: Record<string, string> = { Accept: 'application/json', ...WEB_CLIENT_HEADER };
    if (options.body !== undefined) headers['Content-Type'] = 'application/json';
    if (auth && this.accessToken) headers.Authorization = `Bearer ${this.accessToken}`;
    try {
      return await this.fetchImpl(env.apiBase + path, {
        method: options.method ?? 'GET',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: options.signal,
        credentials: 'same-origin',
      });
    } catch (e) {
      if (options.signal?.aborted) throw e;
      throw new ApiError(0, 'network', 'the server cannot be reached');
    }
  }
}

export const api = new ApiClient();
