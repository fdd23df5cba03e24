import { describe, expect, it, vi } from 'vitest';
import { ApiClient, ApiError } from './api-client';

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } });
const envelope = (status: number, code: string, message: string, details?: object) =>
  json(status, { error: { code, message, ...(details ? { details } : {}) } });

// A scripted server: each request answers from the handler; requests are recorded.
function server(handler: (path: string, init: RequestInit) => Response | Promise<Response>) {
  const calls: { path: string; auth: string | null; headers: Record<string, string> }[] = [];
  const fetchImpl = vi.fn(async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const headers = (init.headers ?? {}) as Record<string, string>;
    calls.push({ path: String(input), auth: headers.Authorization ?? null, headers });
    return handler(String(input), init);
  });
  return { fetchImpl: fetchImpl as unknown as typeof fetch, calls };
}

describe('ApiClient', () => {
  it('refreshes once on a 401 and repeats the request with the new token', async () => {
    let token = 'old';
    const { fetchImpl, calls } = server((path, init) => {
      if (path.endsWith('/auth/refresh')) {
        token = 'new';
        return json(200, { access_token: 'new', token_type: 'Bearer', expires_in: 900 });
      }
      const auth = (init.headers as Record<string, string>).Authorization;
      return auth === `Bearer ${token}` && token === 'new' ? json(200, { id: 'me' }) : envelope(401, 'unauthenticated', 'expired');
    });
    const client = new ApiClient(fetchImpl);
    client.setAccessToken('old');
    await expect(client.request('/api/v1/users/me')).resolves.toEqual({ id: 'me' });
    expect(calls.map((c) => c.path)).toEqual(['/api/v1/users/me', '/api/v1/auth/refresh', '/api/v1/users/me']);
    expect(calls[2].auth).toBe('Bearer new');
    // The refresh is the cookie flow: the browser header, no token in the body.
    expect(calls[1].headers['X-Parley-Client']).toBe('web');
  });

  it('shares one refresh among requests that fail together', async () => {
    let refreshes = 0;
    const { fetchImpl } = server((path, init) => {
      if (path.endsWith('/auth/refresh')) {
        refreshes++;
        return json(200, { access_token: 'fresh' });
      }
      const auth = (init.headers as Record<string, string>).Authorization;
      return auth === 'Bearer fresh' ? json(200, { ok: true }) : envelope(401, 'unauthenticated', 'expired');
    });
    const client = new ApiClient(fetchImpl);
    client.setAccessToken('stale');
    await Promise.all([client.request('/a'), client.request('/b'), client.request('/c')]);
    expect(refreshes).toBe(1);
  });

  it('lets two tabs refresh one after the other, never at once (each refresh rotates the cookie)', async () => {
    // jsdom has no Web Locks, like a page on plain http: the localStorage lease takes turns.
    expect(navigator.locks).toBeUndefined();
    let inside = 0;
    let most = 0;
    const fetchImpl = (async () => {
      inside++;
      most = Math.max(most, inside);
      await new Promise((r) => setTimeout(r, 40));
      inside--;
      return json(200, { access_token: 'fresh' });
    }) as unknown as typeof fetch;
    const tabs = [new ApiClient(fetchImpl), new ApiClient(fetchImpl)];
    await expect(Promise.all(tabs.map((tab) => tab.refresh()))).resolves.toEqual([true, true]);
    expect(most).toBe(1);
    expect(localStorage.getItem('parley.refresh-lease')).toBeNull();
  });

  it('ends the session when the refresh is refused', async () => {
    const { fetchImpl } = server(() => envelope(401, 'unauthenticated', 'nope'));
    const client = new ApiClient(fetchImpl);
    const ended = vi.fn();
    client.onSignedOut(ended);
    client.setAccessToken('t');
    await expect(client.request('/x')).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(ended).toHaveBeenCalledOnce();
    expect(client.signedIn).toBe(false);
  });

  it('does not refresh for a wrong password (invalid_credentials is an answer)', async () => {
    const { fetchImpl, calls } = server(() => envelope(401, 'invalid_credentials', 'wrong login or password'));
    const client = new ApiClient(fetchImpl);
    client.setAccessToken('t');
    await expect(client.request('/api/v1/auth/password', { method: 'POST', body: {} })).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(calls).toHaveLength(1);
    expect(client.signedIn).toBe(true);
  });

  it('turns the error envelope into an ApiError with its code, field and retry time', async () => {
    const { fetchImpl } = server((path) =>
      path === '/field'
        ? envelope(400, 'invalid_argument', 'username must be 3 to 32 characters', { field: 'username' })
        : envelope(429, 'rate_limited', 'slow down', { retry_after_ms: 4200 }),
    );
    const client = new ApiClient(fetchImpl);
    const e1 = await client.request('/field', { auth: false }).catch((e) => e);
    expect(e1).toBeInstanceOf(ApiError);
    expect(e1).toMatchObject({ status: 400, code: 'invalid_argument', field: 'username' });
    const e2 = (await client.request('/limited', { auth: false }).catch((e) => e)) as ApiError;
    expect(e2.retryAfterMs).toBe(4200);
    expect(e2.transient).toBe(false);
  });

  it('reports an unreachable server as a transient error with status 0', async () => {
    const client = new ApiClient((async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch);
    const e = await client.request('/x', { auth: false }).catch((err) => err);
    expect(e).toMatchObject({ status: 0, code: 'network', transient: true });
  });

  it('keeps a non-JSON error page as a status-only error', async () => {
    const client = new ApiClient((async () => new Response('<html>Bad gateway</html>', { status: 502 })) as unknown as typeof fetch);
    const e = await client.request('/x', { auth: false }).catch((err) => err);
    expect(e).toMatchObject({ status: 502, transient: true });
  });
});
