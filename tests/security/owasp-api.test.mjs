// Parley's own security suite, black-box, after the OWASP API Security Top 10 (2023). Each attack
// is one request a hostile client would send; it succeeds if Parley does what the attacker wanted.
// The suite counts them and ends with "security: N attacks tried, 0 succeeded".
// Run by ./scripts/test against the all-in-one (PARLEY_BASE_URL runs it against a running server).
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  NO_SUCH_ID, api, decodeJwt, externalBaseUrl, registerUser, useServer, uniqueName,
} from '../api/lib/harness.mjs';

const server = useServer();
const base = () => server().baseUrl;
let tried = 0;
const succeeded = [];

// One attack: send() makes the request; refused(res) tells whether Parley refused it as it should.
async function attack(name, send, refused) {
  tried++;
  const res = await send();
  if (!refused(res)) succeeded.push(`${name}: ${res.status} ${res.text?.slice(0, 200)}`);
}
const status = (...codes) => (res) => codes.includes(res.status);

after(() => {
  console.log(`security: ${tried} attacks tried, ${succeeded.length} succeeded`);
  for (const s of succeeded) console.log(`  succeeded: ${s}`);
});

// Alice and Bob share a direct conversation and a group; Mallory is a stranger to both.
async function cast() {
  const [alice, bob, mallory] = [await registerUser(base()), await registerUser(base()), await registerUser(base())];
  const t = { alice: alice.access_token, bob: bob.access_token, mallory: mallory.access_token };
  const direct = await api(base(), 'POST', '/api/v1/conversations', { token: t.alice, body: { kind: 'direct', user_id: bob.user.id } });
  assert.equal(direct.status, 201, direct.text);
  const group = await api(base(), 'POST', '/api/v1/conversations', { token: t.alice, body: { kind: 'group', title: 'Secret plans', member_ids: [bob.user.id] } });
  assert.equal(group.status, 201, group.text);
  const message = await api(base(), 'POST', `/api/v1/conversations/${direct.body.id}/messages`, { token: t.alice, body: { body: 'for Bob only' } });
  assert.equal(message.status, 201, message.text);
  const request = await api(base(), 'POST', '/api/v1/contacts/requests', { token: t.alice, body: { user_id: bob.user.id } });
  assert.equal(request.status, 201, request.text);
  const sessions = await api(base(), 'GET', '/api/v1/auth/sessions', { token: t.alice });
  return { alice, bob, mallory, t, direct: direct.body.id, group: group.body.id, message: message.body.id, request: request.body.id, aliceSession: sessions.body.items[0].id };
}

describe('OWASP API Security Top 10', () => {
  test('API1 broken object level authorization: a stranger reaches nobody else\'s objects', async () => {
    const c = await cast();
    const m = c.t.mallory;
    const targets = [
      ['GET', `/api/v1/conversations/${c.direct}`],
      ['GET', `/api/v1/conversations/${c.direct}/messages`],
      ['POST', `/api/v1/conversations/${c.direct}/messages`, { body: 'injected' }],
      ['PATCH', `/api/v1/conversations/${c.direct}/messages/${c.message}`, { body: 'rewritten' }],
      ['DELETE', `/api/v1/conversations/${c.direct}/messages/${c.message}`],
      ['POST', `/api/v1/conversations/${c.direct}/read`, { seq: 1 }],
      ['GET', `/api/v1/conversations/${c.group}`],
      ['PATCH', `/api/v1/conversations/${c.group}`, { title: 'pwned' }],
      ['POST', `/api/v1/conversations/${c.group}/members`, { user_id: c.mallory.user.id }],
      ['DELETE', `/api/v1/conversations/${c.group}/members/${c.bob.user.id}`],
      ['POST', `/api/v1/conversations/${c.group}/invite-code`],
      ['POST', `/api/v1/contacts/requests/${c.request}/accept`],
      ['POST', `/api/v1/contacts/requests/${c.request}/decline`],
      ['DELETE', `/api/v1/contacts/requests/${c.request}`],
      ['DELETE', `/api/v1/auth/sessions/${c.aliceSession}`],
    ];
    for (const [method, path, body] of targets)
      await attack(`mallory ${method} ${path}`, () => api(base(), method, path, { token: m, body }), status(403, 404));
    // Nothing changed for Alice and Bob.
    const history = await api(base(), 'GET', `/api/v1/conversations/${c.direct}/messages`, { token: c.t.bob });
    assert.deepEqual(history.body.items.map((x) => [x.body, x.deleted]), [['for Bob only', false]]);
    const group = await api(base(), 'GET', `/api/v1/conversations/${c.group}`, { token: c.t.bob });
    assert.equal(group.body.title, 'Secret plans');
    assert.equal(group.body.members.length, 2);
    const sessions = await api(base(), 'GET', '/api/v1/auth/sessions', { token: c.t.alice });
    assert.equal(sessions.status, 200);
    assert.deepEqual(succeeded, []);
  });

  test('API2 broken authentication: forged, tampered and misused tokens are refused', async () => {
    const c = await cast();
    const [header, payload, signature] = c.t.alice.split('.');
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = decodeJwt(c.t.alice).payload;
    const forged = [
      ['no token', undefined],
      ['garbage', 'not-a-token'],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`],
      ['alg HS256', `${b64({ alg: 'HS256', typ: 'JWT', kid: decodeJwt(c.t.alice).header.kid })}.${payload}.${signature}`],
      ['sub swapped', `${header}.${b64({ ...claims, sub: c.bob.user.id })}.${signature}`],
      ['expiry extended', `${header}.${b64({ ...claims, exp: claims.exp + 86400 })}.${signature}`],
      ['signature stripped', `${header}.${payload}.`],
      ['refresh token as access token', c.alice.refresh_token],
    ];
    for (const [name, token] of forged)
      await attack(`GET /users/me with ${name}`, () => api(base(), 'GET', '/api/v1/users/me', { token }), status(401));
    // A refresh token works once; presenting it again ends the session (theft detection).
    const first = await api(base(), 'POST', '/api/v1/auth/refresh', { body: { refresh_token: c.alice.refresh_token } });
    assert.equal(first.status, 200);
    await attack('refresh token replayed', () => api(base(), 'POST', '/api/v1/auth/refresh', { body: { refresh_token: c.alice.refresh_token } }), status(401));
    await attack('the rotated token after a replay', () => api(base(), 'POST', '/api/v1/auth/refresh', { body: { refresh_token: first.body.refresh_token } }), status(401));
    await attack('an access token as a refresh token', () => api(base(), 'POST', '/api/v1/auth/refresh', { body: { refresh_token: c.t.bob } }), status(401));
    // The browser's refresh cookie is refused from another site.
    const web = await api(base(), 'POST', '/api/v1/auth/login', { body: { login: c.bob.user.username, password: c.bob.password }, headers: { 'x-parley-client': 'web' } });
    const cookie = (web.headers.get('set-cookie') ?? '').split(';')[0];
    assert.match(cookie, /^parley_refresh=/);
    await attack('cookie refresh from a foreign origin', () => api(base(), 'POST', '/api/v1/auth/refresh', {
      body: {}, headers: { cookie, 'x-parley-client': 'web', origin: 'https://evil.example' } }), status(403));
    await attack('cookie refresh without the browser header (a form post)', () => api(base(), 'POST', '/api/v1/auth/refresh', {
      body: {}, headers: { cookie } }), (res) => res.status >= 400 && res.status < 500);
    assert.deepEqual(succeeded, []);
  });

  test('API3 broken object property level authorization: no mass assignment, no private fields', async () => {
    const c = await cast();
    const name = uniqueName();
    const writes = [
      ['register with an id', 'POST', '/api/v1/auth/register', { username: name, email: `${name}@example.test`, password: 'long enough pw', id: NO_SUCH_ID }],
      ['register with created_at', 'POST', '/api/v1/auth/register', { username: name, email: `${name}@example.test`, password: 'long enough pw', created_at: '2000-01-01T00:00:00.000Z' }],
      ['profile username change', 'PATCH', '/api/v1/users/me', { username: 'admin' }],
      ['profile id change', 'PATCH', '/api/v1/users/me', { id: c.bob.user.id }],
      ['message with a sender', 'POST', `/api/v1/conversations/${c.direct}/messages`, { body: 'spoof', sender_id: c.bob.user.id }],
      ['message with a seq', 'POST', `/api/v1/conversations/${c.direct}/messages`, { body: 'spoof', seq: 1 }],
      ['group created with a role', 'POST', '/api/v1/conversations', { kind: 'group', title: 'x', member_ids: [], members: [{ user_id: c.mallory.user.id, role: 'owner' }] }],
    ];
    for (const [label, method, path, body] of writes)
      await attack(label, () => api(base(), method, path, { token: c.t.alice, body }), status(400));
    const profile = await api(base(), 'GET', `/api/v1/users/${c.bob.user.id}`, { token: c.t.mallory });
    tried++;
    if ('email' in profile.body || 'dm_policy' in profile.body) succeeded.push('another user\'s profile shows email or dm_policy');
    assert.deepEqual(succeeded, []);
  });

  test('API4 unrestricted resource consumption: sizes and page lengths are bounded', async () => {
    const c = await cast();
    const token = c.t.alice;
    await attack('a 2 MiB body', () => api(base(), 'POST', `/api/v1/conversations/${c.direct}/messages`, { token, rawBody: JSON.stringify({ body: 'x'.repeat(2 << 20) }) }), status(413));
    await attack('a 4001-character message', () => api(base(), 'POST', `/api/v1/conversations/${c.direct}/messages`, { token, body: { body: 'é'.repeat(4001) } }), status(400));
    await attack('a 10,000-item page', () => api(base(), 'GET', '/api/v1/users?query=u&limit=10000', { token }), (res) => res.status === 400 || (res.status === 200 && res.body.items.length <= 200));
    await attack('a 1,000-member group at once', () => api(base(), 'POST', '/api/v1/conversations', { token, body: { kind: 'group', title: 'big', member_ids: Array.from({ length: 1001 }, () => NO_SUCH_ID) } }), status(400));
    await attack('a 70 KiB header', () => api(base(), 'GET', '/api/v1/users/me', { token, headers: { 'x-filler': 'a'.repeat(70_000) } }), (res) => res.status === 431 || res.status === 400);
    await attack('a long poll longer than allowed', () => api(base(), 'GET', '/api/v1/sync?cursor=x&timeout_ms=3600000', { token }), (res) => res.status === 400 || res.status === 410);
    assert.deepEqual(succeeded, []);
  });

  test('API5 broken function level authorization: members cannot act as owners, users not as services', async () => {
    const c = await cast();
    const bob = c.t.bob; // a plain member of Alice's group
    await attack('member renames the group', () => api(base(), 'PATCH', `/api/v1/conversations/${c.group}`, { token: bob, body: { title: 'mine now' } }), status(403));
    await attack('member removes the owner', () => api(base(), 'DELETE', `/api/v1/conversations/${c.group}/members/${c.alice.user.id}`, { token: bob }), status(403));
    await attack('member makes an invite code', () => api(base(), 'POST', `/api/v1/conversations/${c.group}/invite-code`, { token: bob }), status(403));
    const owners = await api(base(), 'POST', `/api/v1/conversations/${c.group}/messages`, { token: c.t.alice, body: { body: 'owner speaks' } });
    await attack('member deletes the owner\'s message', () => api(base(), 'DELETE', `/api/v1/conversations/${c.group}/messages/${owners.body.id}`, { token: bob }), status(403));
    await attack('member edits the owner\'s message', () => api(base(), 'PATCH', `/api/v1/conversations/${c.group}/messages/${owners.body.id}`, { token: bob, body: { body: 'forged' } }), status(403, 404));
    if (!externalBaseUrl) // the gateway never routes /internal/ at all (tests/api covers that)
      for (const path of [`/internal/v1/users/${c.alice.user.id}/account`, `/internal/v1/users/${c.alice.user.id}/messages`])
        await attack(`user token on ${path}`, () => api(base(), 'GET', path, { token: bob }), status(401, 404));
    await attack('a service credential guessed', () => api(base(), 'GET', `/internal/v1/users/${c.alice.user.id}/account`, { headers: { authorization: 'Service guess' } }), status(401, 404));
    assert.deepEqual(succeeded, []);
  });

  test('API8 security misconfiguration: no CORS for other sites, strict headers on the app, no internals in errors', async () => {
    const c = await cast();
    const preflight = await api(base(), 'OPTIONS', '/api/v1/users/me', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' } });
    tried++;
    if (preflight.headers.get('access-control-allow-origin')) succeeded.push('CORS granted to a foreign origin');
    const cross = await api(base(), 'GET', '/api/v1/users/me', { token: c.t.alice, headers: { origin: 'https://evil.example' } });
    tried++;
    if (cross.headers.get('access-control-allow-origin')) succeeded.push('CORS answer to a foreign origin');
    const page = await api(base(), 'GET', '/');
    if (page.status === 200) {
      tried++;
      const csp = page.headers.get('content-security-policy') ?? '';
      if (!/frame-ancestors 'none'/.test(csp) || /unsafe-inline|unsafe-eval/.test(csp) || page.headers.get('x-content-type-options') !== 'nosniff')
        succeeded.push(`weak headers on the app: ${csp}`);
    }
    await attack('malformed JSON reveals internals', () => api(base(), 'POST', '/api/v1/auth/login', { rawBody: '{"login": "a", "password": ' }),
      (res) => res.status === 400 && !/exception|boost|sqlite|stack|\.cpp/i.test(res.text));
    await attack('SQL in a search', () => api(base(), 'GET', `/api/v1/users?query=${encodeURIComponent("' OR '1'='1")}`, { token: c.t.alice }),
      (res) => res.status === 200 && res.body.items.length === 0);
    await attack('an unknown method echoing the request', () => api(base(), 'PROPFIND', '/api/v1/users/me', { token: c.t.alice }), (res) => res.status >= 400 && !res.text.includes(c.t.alice));
    assert.deepEqual(succeeded, []);
  });

  test('API9 improper inventory management: nothing answers outside the documented API', async () => {
    const c = await cast();
    for (const path of ['/api/v2/users/me', '/api/v1/admin', '/api/v1/users/me/../../internal/v1/users', '/api/v1/debug'])
      await attack(`GET ${path}`, () => api(base(), 'GET', path, { token: c.t.alice }), (res) => res.status === 404 || res.status === 400);
    assert.deepEqual(succeeded, []);
  });
});
