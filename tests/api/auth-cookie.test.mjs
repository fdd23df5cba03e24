// The browser's refresh token in an HttpOnly cookie (X-Parley-Client: web): set at register and
// login, spent and rotated by refresh, cleared by logout and account deletion, and only ever
// taken from the cookie by a same-origin request that carries the opt-in header.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  PASSWORD, api, expectError, expectInvalid, needsOwnServer, registerUser, start, stopCleanly, uniqueName, useServer,
} from './lib/harness.mjs';

const server = useServer();
const base = () => server().baseUrl;
const WEB = { 'x-parley-client': 'web' };
const TTL_S = 30 * 24 * 3600; // PARLEY_REFRESH_TOKEN_TTL_DAYS' default

// The Set-Cookie headers of an answer, parsed: [{name, value, attributes: {lowercased name: value|true}}].
function setCookies(res) {
  return res.headers.getSetCookie().map((line) => {
    const [pair, ...attrs] = line.split(';').map((s) => s.trim());
    const eq = pair.indexOf('=');
    const attributes = {};
    for (const a of attrs) {
      const i = a.indexOf('=');
      attributes[(i < 0 ? a : a.slice(0, i)).toLowerCase()] = i < 0 ? true : a.slice(i + 1);
    }
    return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes, line };
  });
}

// The one parley_refresh cookie an answer sets; asserts its attributes.
function refreshCookie(res, { secure = false } = {}) {
  const cookies = setCookies(res).filter((c) => c.name === 'parley_refresh');
  assert.equal(cookies.length, 1, `Set-Cookie: ${res.headers.getSetCookie()}`);
  const [cookie] = cookies;
  assert.equal(cookie.attributes.path, '/api/v1/auth');
  assert.equal(cookie.attributes.httponly, true);
  assert.equal(cookie.attributes.samesite, 'Strict');
  assert.equal(cookie.attributes.secure, secure ? true : undefined, cookie.line);
  return cookie;
}

function assertSetsRefreshCookie(res, opts) {
  const cookie = refreshCookie(res, opts);
  assert.match(cookie.value, /^[A-Za-z0-9_-]{20,}$/);
  assert.equal(cookie.attributes['max-age'], String(TTL_S));
  return cookie.value;
}

function assertClearsRefreshCookie(res) {
  const cookie = refreshCookie(res);
  assert.equal(cookie.value, '');
  assert.equal(cookie.attributes['max-age'], '0');
}

const webLogin = async (at, username, headers = {}) => {
  const res = await api(at, 'POST', '/api/v1/auth/login', {
    body: { login: username, password: PASSWORD }, headers: { ...WEB, ...headers },
  });
  assert.equal(res.status, 200, res.text);
  return res;
};
// A web session for a fresh user: {user, access_token, cookie (the refresh token's value)}.
async function webSession(at = base()) {
  const { user } = await registerUser(at);
  const res = await webLogin(at, user.username);
  return { user, access_token: res.body.access_token, cookie: assertSetsRefreshCookie(res) };
}
const cookieRefresh = (cookie, headers = WEB, opts = {}) => api(base(), 'POST', '/api/v1/auth/refresh', {
  headers: { cookie: `parley_refresh=${cookie}`, ...headers }, ...opts,
});
const cookieLogout = (cookie, headers = WEB) => api(base(), 'POST', '/api/v1/auth/logout', {
  headers: { cookie: `parley_refresh=${cookie}`, ...headers },
});
const me = (token) => api(base(), 'GET', '/api/v1/users/me', { token });

describe('register and login with X-Parley-Client: web', () => {
  test('login sets the HttpOnly SameSite=Strict cookie for /api/v1/auth; the body has no refresh_token', async () => {
    const { user } = await registerUser(base());
    const res = await webLogin(base(), user.username);
    assertSetsRefreshCookie(res);
    assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'expires_in', 'token_type', 'user']);
    assert.equal(res.body.user.id, user.id);
    assert.equal((await me(res.body.access_token)).status, 200);
  });

  test('register does the same', async () => {
    const username = uniqueName();
    const res = await api(base(), 'POST', '/api/v1/auth/register', {
      body: { username, email: `${username}@example.test`, password: PASSWORD }, headers: { 'x-parley-client': 'Web' },
    });
    assert.equal(res.status, 201, res.text);
    assertSetsRefreshCookie(res);
    assert.equal(res.body.refresh_token, undefined);
    assert.equal(res.body.user.username, username);
  });

  test('without the header: the JSON flow, no cookie', async () => {
    const { user, refresh_token } = await registerUser(base());
    const login = await api(base(), 'POST', '/api/v1/auth/login', { body: { login: user.username, password: PASSWORD } });
    assert.equal(login.status, 200);
    assert.deepEqual(login.headers.getSetCookie(), []);
    assert.equal(typeof login.body.refresh_token, 'string');
    const refreshed = await api(base(), 'POST', '/api/v1/auth/refresh', { body: { refresh_token } });
    assert.equal(refreshed.status, 200, refreshed.text);
    assert.deepEqual(refreshed.headers.getSetCookie(), []);
    // A body naming refresh_token is the JSON flow even from the web client.
    const again = await api(base(), 'POST', '/api/v1/auth/refresh', {
      body: { refresh_token: refreshed.body.refresh_token }, headers: WEB,
    });
    assert.equal(again.status, 200, again.text);
    assert.equal(typeof again.body.refresh_token, 'string');
    assert.deepEqual(again.headers.getSetCookie(), []);
    const out = await api(base(), 'POST', '/api/v1/auth/logout', { body: { refresh_token: again.body.refresh_token } });
    assert.equal(out.status, 204);
    assert.deepEqual(out.headers.getSetCookie(), []);
  });
});

describe('refresh from the cookie', () => {
  test('rotates: a new cookie, the body without refresh_token; the old value is refused as reuse', async () => {
    const session = await webSession();
    const res = await cookieRefresh(session.cookie);
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(Object.keys(res.body).sort(), ['access_token', 'expires_in', 'token_type']);
    const next = assertSetsRefreshCookie(res);
    assert.notEqual(next, session.cookie);
    assert.equal((await me(res.body.access_token)).status, 200);

    // The spent value again: theft detection, as with JSON. The browser is told to forget it,
    // and the whole session is revoked: its newest cookie and access token too.
    const reused = await cookieRefresh(session.cookie);
    expectError(reused, 401, 'unauthenticated');
    assertClearsRefreshCookie(reused);
    expectError(await cookieRefresh(next), 401, 'unauthenticated');
    expectError(await me(res.body.access_token), 401, 'unauthenticated');
  });

  test('with an empty body, {} or none, with or without Content-Type; among other cookies', async () => {
    let { cookie } = await webSession();
    const variants = [
      { body: {} },
      { rawBody: '' },
      {},
      { body: {}, cookieHeader: (c) => `theme=dark; parley_refresh=${c}; other="x"` },
    ];
    for (const { cookieHeader, ...opts } of variants) {
      const headers = { ...WEB, cookie: cookieHeader ? cookieHeader(cookie) : `parley_refresh=${cookie}` };
      const res = await api(base(), 'POST', '/api/v1/auth/refresh', { headers, ...opts });
      assert.equal(res.status, 200, `${JSON.stringify(opts)}: ${res.text}`);
      cookie = assertSetsRefreshCookie(res);
    }
  });

  test('the cross-site guard: 403 without X-Parley-Client, from another origin or site; the token stays usable', async () => {
    const { cookie } = await webSession();
    const refused = [
      {},
      { 'x-parley-client': 'mobile' },
      { ...WEB, origin: 'https://evil.example' },
      { ...WEB, origin: 'null' },
      { ...WEB, origin: base().replace(/:(\d+)$/, (_, p) => `:${Number(p) + 1}`) },
      { ...WEB, 'sec-fetch-site': 'cross-site' },
      { ...WEB, 'sec-fetch-site': 'same-site' },
    ];
    for (const headers of refused) {
      const res = await cookieRefresh(cookie, headers);
      expectError(res, 403, 'permission_denied');
      assert.deepEqual(res.headers.getSetCookie(), [], JSON.stringify(headers));
      expectError(await cookieLogout(cookie, headers), 403, 'permission_denied');
    }
    // Nothing changed: the same value still refreshes, from the page's own origin.
    const res = await cookieRefresh(cookie, { ...WEB, origin: base(), 'sec-fetch-site': 'same-origin' });
    assert.equal(res.status, 200, res.text);
    assertSetsRefreshCookie(res);
  });

  test('no cookie: 401 for the web client; a JSON client still gets 400 naming refresh_token', async () => {
    const none = await api(base(), 'POST', '/api/v1/auth/refresh', { headers: WEB });
    expectError(none, 401, 'unauthenticated');
    expectError(await api(base(), 'POST', '/api/v1/auth/logout', { headers: WEB, body: {} }), 401, 'unauthenticated');
    expectInvalid(await api(base(), 'POST', '/api/v1/auth/refresh', { body: {} }), 'refresh_token');
    expectInvalid(await api(base(), 'POST', '/api/v1/auth/logout', { body: {} }), 'refresh_token');
  });

  test('an unknown cookie value: 401, and the browser forgets it', async () => {
    const res = await cookieRefresh('not-a-refresh-token');
    expectError(res, 401, 'unauthenticated');
    assertClearsRefreshCookie(res);
  });
});

describe('logout from the cookie', () => {
  test('revokes the session and clears the cookie', async () => {
    const session = await webSession();
    const res = await cookieLogout(session.cookie);
    assert.equal(res.status, 204, res.text);
    assert.equal(res.text, '');
    assertClearsRefreshCookie(res);
    expectError(await me(session.access_token), 401, 'unauthenticated');
    const again = await cookieRefresh(session.cookie);
    expectError(again, 401, 'unauthenticated');
    assertClearsRefreshCookie(again);
  });

  test('an unknown value: 401, cookie cleared', async () => {
    const res = await cookieLogout('nope');
    expectError(res, 401, 'unauthenticated');
    assertClearsRefreshCookie(res);
  });
});

test('deleting the account clears the cookie', async () => {
  const session = await webSession();
  const res = await api(base(), 'DELETE', '/api/v1/auth/account', {
    token: session.access_token, body: { password: PASSWORD },
    headers: { ...WEB, cookie: `parley_refresh=${session.cookie}` },
  });
  assert.equal(res.status, 202, res.text);
  assertClearsRefreshCookie(res);
  expectError(await cookieRefresh(session.cookie), 401, 'unauthenticated');
});

describe('Secure', { skip: needsOwnServer }, () => {
  const loginOn = async (env, headers = {}) => {
    const own = await start({ env });
    try {
      const { user } = await registerUser(own.baseUrl);
      return await webLogin(own.baseUrl, user.username, headers);
    } finally {
      await stopCleanly(own);
    }
  };

  test('PARLEY_COOKIE_SECURE=true marks the cookie Secure', async () => {
    assertSetsRefreshCookie(await loginOn({ PARLEY_COOKIE_SECURE: 'true' }), { secure: true });
  });

  test('auto: Secure when a trusted gateway says the request came over HTTPS', async () => {
    const https = { 'x-forwarded-proto': 'https' };
    assertSetsRefreshCookie(await loginOn({ PARLEY_TRUST_PROXY: 'true' }, https), { secure: true });
    assertSetsRefreshCookie(await loginOn({}, https), { secure: false });  // not trusted
    assertSetsRefreshCookie(await loginOn({ PARLEY_TRUST_PROXY: 'true', PARLEY_COOKIE_SECURE: 'false' }, https));
  });

  test('a bad value stops the process naming the setting', async () => {
    await assert.rejects(start({ env: { PARLEY_COOKIE_SECURE: 'sometimes' } }), /PARLEY_COOKIE_SECURE/);
  });
});
