// The internal read endpoints (/internal/v1/...) the data export uses: what each service answers
// about an account made through the public API, held to api/internal.yaml; that only the service
// credential opens them; and that the gateway never exposes them.
//
// All-in-one (the harness starts it): the endpoints answer on the server itself, and the secret is
// <data dir>/service-token. Behind the gateway (PARLEY_BASE_URL): they answer on each service's
// own address, PARLEY_INTERNAL_{AUTH,USERS,CONTACTS,MESSAGES}_URL, with the secret of
// PARLEY_SERVICE_TOKEN_FILE (scripts/test sets them for the stack).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import {
  api, binaryPath, eventually, expectError, expectInvalid, externalBaseUrl, login, needsOwnServer, NO_SUCH_ID, PASSWORD,
  registerUsers, repoRoot, start, stopCleanly, TIMESTAMP, useApi,
} from './lib/harness.mjs';

const { server, base, call } = useApi();
const enc = encodeURIComponent;

// --- where the internal endpoints are, and the secret ----------------------------------------
const SERVICES = ['auth', 'users', 'contacts', 'messages'];
const serviceUrlVar = (service) => `PARLEY_INTERNAL_${service.toUpperCase()}_URL`;
const behindGateway = SERVICES.some((s) => process.env[serviceUrlVar(s)]);
const skipInternal = externalBaseUrl && !process.env.PARLEY_SERVICE_TOKEN_FILE
  ? 'PARLEY_BASE_URL is set without PARLEY_SERVICE_TOKEN_FILE: the secret is unknown'
  : false;
const internalUrl = (service) => process.env[serviceUrlVar(service)]?.replace(/\/+$/, '') || base();
const tokenFile = () => process.env.PARLEY_SERVICE_TOKEN_FILE || path.join(server().dataDir, 'service-token');
const secret = () => readFileSync(tokenFile(), 'utf8').trim();
const credential = () => `Service ${secret()}`;

// --- api/internal.yaml -------------------------------------------------------------------------
const DOC_ID = 'https://parley.test/internal.json';
const doc = YAML.parse(readFileSync(path.join(repoRoot, 'api/internal.yaml'), 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, DOC_ID);
const escapeSegment = (s) => encodeURIComponent(String(s).replaceAll('~', '~0').replaceAll('/', '~1'));
const validators = new Map();
const validator = (pointer) => {
  if (!validators.has(pointer)) validators.set(pointer, ajv.compile({ $ref: `${DOC_ID}#${pointer}` }));
  return validators.get(pointer);
};
const exercised = new Set();

// One documented internal operation, the route template of api/internal.yaml, with the service
// that serves it.
const OPS = {
  account: { service: 'auth', template: '/internal/v1/users/{user_id}/account' },
  revocations: { service: 'auth', template: '/internal/v1/revocations' },
  profile: { service: 'users', template: '/internal/v1/users/{user_id}/profile' },
  contacts: { service: 'contacts', template: '/internal/v1/users/{user_id}/contacts' },
  conversations: { service: 'messages', template: '/internal/v1/users/{user_id}/conversations' },
  messages: { service: 'messages', template: '/internal/v1/users/{user_id}/conversations/{conversation_id}/messages' },
};
const fill = (template, params) => template.replace(/\{(\w+)\}/g, (_, name) => enc(params[name]));
const query = (params = {}) => {
  const defined = Object.entries(params).filter(([, v]) => v !== undefined && v !== null);
  return defined.length ? `?${new URLSearchParams(defined)}` : '';
};

// Calls an internal operation on its service with the given Authorization (the credential unless
// told), and holds the answer to api/internal.yaml: its status must be documented and its body
// must match that status' schema.
async function internal(op, params, { search, authorization = credential(), url } = {}) {
  const { service, template } = OPS[op];
  const headers = authorization ? { authorization } : {};
  const res = await api(url ?? internalUrl(service), 'GET', fill(template, params) + query(search), { headers });
  const operation = doc.paths[template].get;
  let response = operation.responses[res.status];
  assert.ok(response, `${op}: status ${res.status} is not documented in api/internal.yaml: ${res.text}`);
  let pointer = `/paths/${escapeSegment(template)}/get/responses/${res.status}`;
  if (response.$ref) {
    pointer = response.$ref.slice(1);
    response = pointer.split('/').slice(1).reduce((node, key) => node[key], doc);
  }
  const validate = validator(`${pointer}/content/application~1json/schema`);
  assert.ok(validate(res.body), `${op} ${res.status}: ${ajv.errorsText(validate.errors)}\n${res.text}`);
  assert.ok(res.headers.get('x-request-id'), `${op}: no X-Request-Id`);
  exercised.add(`GET ${template}`);
  return res;
}

// A 200 of an internal operation, its body.
async function ok(op, params, options) {
  const res = await internal(op, params, options);
  assert.equal(res.status, 200, `${op}: ${res.status} ${res.text}`);
  return res.body;
}

// Follows next_cursor from the first page to the last; returns the pages.
async function cursorPages(op, params, search = {}) {
  const pages = [];
  let cursor;
  for (let n = 0; n < 50; n++) {
    const page = await ok(op, params, { search: { ...search, cursor } });
    pages.push(page);
    if (page.next_cursor === null) return pages;
    assert.equal(typeof page.next_cursor, 'string');
    cursor = page.next_cursor;
  }
  return assert.fail(`${op}: paging did not end`);
}

// Every message of a conversation, page by page (after_seq, has_more); returns the pages.
async function messagePages(userId, conversationId, limit) {
  const pages = [];
  let afterSeq;
  for (let n = 0; n < 50; n++) {
    const page = await ok('messages', { user_id: userId, conversation_id: conversationId }, { search: { after_seq: afterSeq, limit } });
    pages.push(page);
    if (!page.has_more) return pages;
    afterSeq = page.items.at(-1).seq;
  }
  return assert.fail('messages: paging did not end');
}

// --- public API helpers ------------------------------------------------------------------------
const publicList = async (who, urlPath, params = {}) => {
  const items = [];
  let cursor;
  do {
    const res = await call('GET', urlPath + query({ ...params, cursor }), who);
    assert.equal(res.status, 200, res.text);
    items.push(...res.body.items);
    cursor = res.body.next_cursor;
  } while (cursor);
  return items;
};
const mustBe = async (status, promise, what) => {
  const res = await promise;
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
  return res.body;
};
const convPath = (id) => `/api/v1/conversations/${enc(id)}`;
const withoutUsernames = (conversation) => ({
  ...conversation,
  members: conversation.members.map(({ user_id: userId, role }) => ({ user_id: userId, role })),
});
// A GET whose path goes out exactly as given.
const rawGet = (baseUrl, rawPath, headers) => new Promise((resolve, reject) => {
  const { hostname, port } = new URL(baseUrl);
  const req = http.request({ host: hostname, port, path: rawPath, method: 'GET', headers }, (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => (text += chunk));
    res.on('end', () => resolve({ status: res.statusCode, text }));
  });
  req.on('error', reject);
  req.end();
});
const publicMessage = ({ sender_username: _name, edits: _edits, ...message }) => message;

describe('internal read endpoints', { skip: skipInternal }, () => {
  // One account, alice, made through the public API, and the people around her:
  // bob (a contact), carol (asked alice), dave (alice asked him), erin and frank (alice blocked
  // them), gina (blocked alice).
  const world = {};
  before(async () => {
    const [alice, bob, carol, dave, erin, frank, gina] = await registerUsers(base(), 7);
    Object.assign(world, { alice, bob, carol, dave, erin, frank, gina });
    world.profile = await mustBe(200, call('PATCH', '/api/v1/users/me', alice,
      { display_name: 'Alice Exported', bio: 'Everything about me.\nTwo lines.', dm_policy: 'contacts' }), 'profile');

    // A second session with a known user agent, and a third one logged out (revoked).
    await mustBe(200, login(base(), alice.user.username, undefined, { 'user-agent': 'export-test/1.0' }), 'login');
    const third = await mustBe(200, login(base(), alice.user.username), 'login');
    await mustBe(204, call('POST', '/api/v1/auth/logout', null, { refresh_token: third.refresh_token }), 'logout');

    const request = await mustBe(201, call('POST', '/api/v1/contacts/requests', alice, { user_id: bob.user.id }), 'request');
    await mustBe(200, call('POST', `/api/v1/contacts/requests/${enc(request.id)}/accept`, bob), 'accept');
    await mustBe(201, call('POST', '/api/v1/contacts/requests', carol, { user_id: alice.user.id }), 'incoming');
    await mustBe(201, call('POST', '/api/v1/contacts/requests', alice, { user_id: dave.user.id }), 'outgoing');
    for (const blocked of [erin, frank]) await mustBe(204, call('PUT', `/api/v1/blocks/${enc(blocked.user.id)}`, alice), 'block');
    await mustBe(204, call('PUT', `/api/v1/blocks/${enc(alice.user.id)}`, gina), 'block alice');

    // A group of three with history: an edited message (twice) and a deleted one; a direct
    // conversation with bob; a group alice is not in. (Behind the gateway, the messages service
    // learns of new users and contacts from events: retried until it has.)
    world.group = await eventually(() => mustBe(201, call('POST', '/api/v1/conversations', alice,
      { kind: 'group', title: 'Export group', member_ids: [bob.user.id, carol.user.id] }), 'group'));
    world.direct = await eventually(() => mustBe(201, call('POST', '/api/v1/conversations', alice,
      { kind: 'direct', user_id: bob.user.id }), 'direct'));
    world.elsewhere = await eventually(() => mustBe(201, call('POST', '/api/v1/conversations', bob,
      { kind: 'group', title: 'Without alice', member_ids: [carol.user.id] }), 'other group'));
    const say = (who, text) => mustBe(201, call('POST', `${convPath(world.group.id)}/messages`, who, { body: text }), 'post');
    await say(alice, 'first');
    await say(bob, 'second, from bob');
    world.edited = await say(alice, 'to be edited');
    for (const text of ['edited once', 'edited twice'])
      await mustBe(200, call('PATCH', `${convPath(world.group.id)}/messages/${enc(world.edited.id)}`, alice, { body: text }), 'edit');
    world.deleted = await say(carol, 'to be deleted');
    await mustBe(204, call('DELETE', `${convPath(world.group.id)}/messages/${enc(world.deleted.id)}`, carol), 'delete');
    await say(bob, 'Ünïcödé ✓ 你好 🎉');
    await say(carol, 'sixth');
    await say(alice, 'seventh');
    await mustBe(201, call('POST', `${convPath(world.direct.id)}/messages`, bob, { body: 'just us' }), 'direct message');
  });

  const alice = () => world.alice;
  const me = () => ({ user_id: world.alice.user.id });

  test('account: the user as at sign-in and every session, live or revoked, never a token', async () => {
    const pages = await cursorPages('account', me());
    assert.equal(pages.length, 1);
    const { user, sessions } = pages[0];
    assert.deepEqual(user, alice().user);
    assert.equal(sessions.length, 3);
    for (const s of sessions) {
      assert.deepEqual(Object.keys(s).sort(), ['created_at', 'id', 'ip', 'last_used_at', 'revoked_at', 'user_agent']);
      assert.match(s.created_at, TIMESTAMP);
    }
    assert.deepEqual(sessions.map((s) => s.revoked_at === null), [true, true, false], 'oldest first; the logged-out one is revoked');
    assert.match(sessions[2].revoked_at, TIMESTAMP);
    assert.equal(sessions[1].user_agent, 'export-test/1.0');
    const live = await publicList(alice(), '/api/v1/auth/sessions');
    assert.deepEqual(sessions.filter((s) => !s.revoked_at).map((s) => s.id).sort(), live.map((s) => s.id).sort());
    const body = JSON.stringify(pages);
    for (const token of [alice().access_token, alice().refresh_token]) assert.ok(!body.includes(token));
    assert.ok(!/hash|argon|password/i.test(body), body);
  });

  test('account: sessions page by cursor', async () => {
    const pages = await cursorPages('account', me(), { limit: 2 });
    assert.deepEqual(pages.map((p) => p.sessions.length), [2, 1]);
    for (const p of pages) assert.deepEqual(p.user, alice().user);
    const all = (await cursorPages('account', me()))[0].sessions;
    assert.deepEqual(pages.flatMap((p) => p.sessions), all);
  });

  test('profile: the whole profile with dm_policy, as the user sees it', async () => {
    const profile = await ok('profile', me());
    assert.deepEqual(profile, world.profile);
    assert.equal(profile.dm_policy, 'contacts');
    assert.equal(profile.bio, 'Everything about me.\nTwo lines.');
    assert.deepEqual(profile, await mustBe(200, call('GET', '/api/v1/users/me', alice()), 'me'));
  });

  test('contacts: contacts, blocks and pending requests as the public lists show them, not who blocked the user', async () => {
    const pages = await eventually(async () => {
      const all = await cursorPages('contacts', me());
      // The display name alice chose reaches contacts' directory through an event.
      assert.equal(all[0].outgoing_requests[0]?.from_user.display_name, 'Alice Exported');
      return all;
    });
    assert.equal(pages.length, 1);
    const [page] = pages;
    const { bob, carol, dave, erin, frank, gina } = world;
    assert.deepEqual(page.contacts.map((c) => c.user.id), [bob.user.id]);
    assert.deepEqual(page.incoming_requests.map((r) => [r.from_user.id, r.to_user.id]), [[carol.user.id, alice().user.id]]);
    assert.deepEqual(page.outgoing_requests.map((r) => [r.from_user.id, r.to_user.id]), [[alice().user.id, dave.user.id]]);
    assert.deepEqual(page.blocks.map((b) => b.user.id).sort(), [erin.user.id, frank.user.id].sort());
    assert.ok(!JSON.stringify(page).includes(gina.user.id), 'who blocked alice must not show');
    // The same objects as the public API gives alice.
    assert.deepEqual(page.contacts, await publicList(alice(), '/api/v1/contacts'));
    assert.deepEqual(page.blocks, await publicList(alice(), '/api/v1/blocks'));
    assert.deepEqual(page.incoming_requests, await publicList(alice(), '/api/v1/contacts/requests', { direction: 'incoming' }));
    assert.deepEqual(page.outgoing_requests, await publicList(alice(), '/api/v1/contacts/requests', { direction: 'outgoing' }));
  });

  test('contacts: one cursor pages the four lists together', async () => {
    const [whole] = await cursorPages('contacts', me());
    const pages = await cursorPages('contacts', me(), { limit: 1 });
    assert.equal(pages.length, 2);
    assert.deepEqual(pages.map((p) => p.blocks.length), [1, 1]);
    assert.deepEqual(pages.map((p) => p.contacts.length), [1, 0]);
    for (const list of ['contacts', 'blocks', 'incoming_requests', 'outgoing_requests'])
      assert.deepEqual(pages.flatMap((p) => p[list]), whole[list], list);
    expectInvalid(await internal('contacts', me(), { search: { cursor: 'not-a-cursor' } }), 'cursor');
    expectInvalid(await internal('contacts', me(), { search: { cursor: Buffer.from('["a"]').toString('base64url') } }), 'cursor');
    expectInvalid(await internal('contacts', me(), { search: { limit: 0 } }), 'limit');
  });

  test('conversations: each one the user is in, with members, their usernames and roles', async () => {
    const pages = await cursorPages('conversations', me());
    const items = pages.flatMap((p) => p.items);
    const { bob, carol, group, direct } = world;
    assert.deepEqual(items.map((c) => c.id), [group.id, direct.id].sort(), 'by id; not the group without alice');
    const g = items.find((c) => c.id === group.id);
    const d = items.find((c) => c.id === direct.id);
    assert.equal(g.kind, 'group');
    assert.equal(g.title, 'Export group');
    const byId = (members) => [...members].sort((a, b) => a.user_id.localeCompare(b.user_id));
    assert.deepEqual(byId(g.members), byId([
      { user_id: alice().user.id, username: alice().user.username, role: 'owner' },
      { user_id: bob.user.id, username: bob.user.username, role: 'member' },
      { user_id: carol.user.id, username: carol.user.username, role: 'member' },
    ]));
    assert.deepEqual(byId(d.members), byId([
      { user_id: alice().user.id, username: alice().user.username, role: 'member' },
      { user_id: bob.user.id, username: bob.user.username, role: 'member' },
    ]));
    // Otherwise the public conversation, as alice sees it.
    for (const c of items) assert.deepEqual(withoutUsernames(c), await mustBe(200, call('GET', convPath(c.id), alice()), 'get'));
    const paged = await cursorPages('conversations', me(), { limit: 1 });
    assert.deepEqual(paged.map((p) => p.items.length), [1, 1]);
    assert.deepEqual(paged.flatMap((p) => p.items), items);
  });

  test('messages: every message ascending with sender username, edits and tombstones, paged by after_seq', async () => {
    const { bob, carol, group, edited, deleted } = world;
    const pages = await messagePages(alice().user.id, group.id, 3);
    assert.deepEqual(pages.map((p) => [p.items.length, p.has_more]), [[3, true], [3, true], [1, false]]);
    const items = pages.flatMap((p) => p.items);
    assert.deepEqual(items.map((m) => m.seq), [1, 2, 3, 4, 5, 6, 7]);
    const names = { [alice().user.id]: alice().user.username, [bob.user.id]: bob.user.username, [carol.user.id]: carol.user.username };
    for (const m of items) assert.equal(m.sender_username, names[m.sender_id]);
    assert.deepEqual(items.map((m) => m.body),
      ['first', 'second, from bob', 'edited twice', null, 'Ünïcödé ✓ 你好 🎉', 'sixth', 'seventh']);

    const e = items.find((m) => m.id === edited.id);
    assert.deepEqual(e.edits.map((x) => x.body), ['to be edited', 'edited once']);
    for (const x of e.edits) assert.match(x.replaced_at, TIMESTAMP);
    assert.ok(e.edits[0].replaced_at <= e.edits[1].replaced_at);
    assert.equal(e.edited_at, e.edits[1].replaced_at);
    const d = items.find((m) => m.id === deleted.id);
    assert.equal(d.deleted, true);
    assert.equal(d.body, null);
    assert.deepEqual(d.edits, []);
    for (const m of items) if (m.id !== edited.id) assert.deepEqual(m.edits, []);

    // Otherwise the public messages, as a member reads them.
    const history = await mustBe(200, call('GET', `${convPath(group.id)}/messages?limit=200`, alice()), 'history');
    assert.deepEqual(items.map(publicMessage), history.items);
    // From the middle, and past the end.
    const tail = await ok('messages', { user_id: alice().user.id, conversation_id: group.id }, { search: { after_seq: 5 } });
    assert.deepEqual(tail.items.map((m) => m.seq), [6, 7]);
    assert.equal(tail.has_more, false);
    const past = await ok('messages', { user_id: alice().user.id, conversation_id: group.id }, { search: { after_seq: 99 } });
    assert.deepEqual(past, { items: [], has_more: false });
    expectInvalid(await internal('messages', { user_id: alice().user.id, conversation_id: group.id }, { search: { after_seq: -1 } }), 'after_seq');
    expectInvalid(await internal('messages', { user_id: alice().user.id, conversation_id: group.id }, { search: { limit: 'x' } }), 'limit');
  });

  test('messages: the direct conversation too', async () => {
    const [page] = await messagePages(alice().user.id, world.direct.id, 50);
    assert.deepEqual(page.items.map((m) => [m.seq, m.sender_username, m.body]), [[1, world.bob.user.username, 'just us']]);
  });

  // Every operation, once for each way of calling without the credential.
  const everyOp = () => [
    ['account', me()], ['profile', me()], ['contacts', me()], ['conversations', me()],
    ['messages', { ...me(), conversation_id: world.group.id }],
  ];

  test('without the service credential every endpoint answers 401 unauthenticated', async () => {
    const wrong = [
      ['no Authorization', null],
      ['a wrong secret', 'Service this-is-not-the-shared-secret'],
      ['the secret with a character less', () => credential().slice(0, -1)],
      ['a valid user access token', () => `Bearer ${alice().access_token}`],
      ['the secret as a bearer token', () => `Bearer ${secret()}`],
      ['the bare secret', () => secret()],
      ['the scheme alone', 'Service'],
    ];
    for (const [op, params] of everyOp()) {
      for (const [why, header] of wrong) {
        const authorization = typeof header === 'function' ? header() : header;
        const res = await internal(op, params, { authorization: authorization ?? '' });
        const error = expectError(res, 401, 'unauthenticated');
        assert.ok(!error.message.includes(secret()), `${op}, ${why}: the secret leaked`);
      }
      assert.equal((await internal(op, params)).status, 200, `${op} with the credential`);
    }
  });

  test('an unknown user answers 404, as does a conversation the user is not in', async () => {
    for (const [op, params] of everyOp()) {
      expectError(await internal(op, { ...params, user_id: NO_SUCH_ID }), 404, 'not_found');
    }
    const inGroup = { user_id: alice().user.id };
    expectError(await internal('messages', { ...inGroup, conversation_id: world.elsewhere.id }), 404, 'not_found');
    expectError(await internal('messages', { ...inGroup, conversation_id: NO_SUCH_ID }), 404, 'not_found');
    // bob is in it: the same conversation answers for him.
    assert.equal((await internal('messages', { user_id: world.bob.user.id, conversation_id: world.elsewhere.id })).status, 200);
  });

  test('revocations: the sessions revoked and the accounts deleted since a time, only with the credential', async () => {
    const since = new Date(Date.now() - 60_000).toISOString();
    const [leaving] = await registerUsers(base(), 1);
    await mustBe(202, api(base(), 'DELETE', '/api/v1/auth/account', {
      token: leaving.access_token, body: { password: PASSWORD },
    }), 'delete account');
    const [{ sessions }] = await cursorPages('account', me());
    const loggedOut = sessions.find((s) => s.revoked_at !== null);
    assert.ok(loggedOut, 'alice has a logged-out session');
    const recent = await ok('revocations', {}, { search: { since } });
    assert.ok(recent.sessions.includes(loggedOut.id), 'a logged-out session');
    assert.ok(recent.users.includes(leaving.user.id), 'a deleted account');
    assert.ok(Date.parse(recent.as_of) >= Date.parse(since));
    // Nothing after now; a time long ago is moved up to the longest token lifetime.
    const later = await ok('revocations', {}, { search: { since: new Date(Date.now() + 3_600_000).toISOString() } });
    assert.deepEqual([later.sessions, later.users], [[], []]);
    const ancient = await ok('revocations', {}, { search: { since: '2000-01-01T00:00:00.000Z' } });
    assert.ok(Date.now() - Date.parse(ancient.since) < 2 * 3_600_000, ancient.since);
    for (const bad of [undefined, 'yesterday', '2026-13-01T00:00:00Z'])
      expectInvalid(await internal('revocations', {}, { search: { since: bad } }), 'since');
    for (const authorization of ['', `Bearer ${alice().access_token}`, 'Service this-is-not-the-shared-secret'])
      expectError(await internal('revocations', {}, { search: { since }, authorization }), 401, 'unauthenticated');
  });

  test('the service credential does not open the public API', async () => {
    const res = await api(base(), 'GET', '/api/v1/users/me', { headers: { authorization: credential() } });
    expectError(res, 401, 'unauthenticated');
  });

  test('through the gateway /internal/ is refused, even with the credential', {
    skip: behindGateway ? false : 'no gateway: the all-in-one serves /internal/ itself (set PARLEY_INTERNAL_*_URL behind one)',
  }, async () => {
    for (const [op, params] of everyOp()) {
      const res = await api(base(), 'GET', fill(OPS[op].template, params), { headers: { authorization: credential() } });
      expectError(res, 404, 'not_found');
      assert.ok(!('items' in (res.body ?? {})), res.text);
    }
    // Paths sent byte for byte (fetch would resolve the dots itself) that a careless proxy might
    // pass on to a service as /internal/...: none may reach alice's profile.
    const id = alice().user.id;
    for (const sneaky of [`/api/v1/users/../../internal/v1/users/${id}/profile`,
      `/api/v1/users/%2e%2e/%2e%2e/internal/v1/users/${id}/profile`, `//internal/v1/users/${id}/profile`,
      `/api/v1/users/..%2f..%2finternal/v1/users/${id}/profile`, `/%69nternal/v1/users/${id}/profile`,
      `/INTERNAL/v1/users/${id}/profile`]) {
      const res = await rawGet(base(), sneaky, { authorization: credential() });
      assert.ok(!res.text.includes('dm_policy') && !res.text.includes(id), `${sneaky}: ${res.status} ${res.text}`);
    }
  });

  after(() => {
    if (skipInternal) return;
    const documented = Object.entries(doc.paths).flatMap(([template, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${template}`));
    assert.deepEqual([...exercised].sort(), documented.sort(), 'every documented internal operation is exercised');
  });
});

describe('the service token file', { skip: needsOwnServer }, () => {
  const scratch = mkdtempSync(path.join(tmpdir(), 'parley-token-'));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  test('is created in the data directory on first start, mode 0600', () => {
    const file = path.join(server().dataDir, 'service-token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(readFileSync(file, 'utf8'), /^[A-Za-z0-9_-]{43}\n$/);
  });

  test("an operator's own file is used as it is", async () => {
    const file = path.join(scratch, 'operator-token');
    const own = 'operator-chosen-secret-0123456789';
    writeFileSync(file, `${own}\n`, { mode: 0o600 });
    const other = await start({ env: { PARLEY_SERVICE_TOKEN_FILE: file } });
    try {
      const url = `/internal/v1/users/${NO_SUCH_ID}/profile`;
      expectError(await api(other.baseUrl, 'GET', url, { headers: { authorization: `Service ${own}` } }), 404, 'not_found');
      expectError(await api(other.baseUrl, 'GET', url, { headers: { authorization: credential() } }), 401, 'unauthenticated');
      assert.equal(readFileSync(file, 'utf8'), `${own}\n`);
      assert.ok(!existsSync(path.join(other.dataDir, 'service-token')));
      assert.ok(!other.output().includes(own), 'the secret was logged');
    } finally {
      await stopCleanly(other);
    }
  });

  test('an empty, unreadable or uncreatable file stops the process with status 2 naming the setting', () => {
    const empty = path.join(scratch, 'empty');
    writeFileSync(empty, '');
    const blank = path.join(scratch, 'blank');
    writeFileSync(blank, ' \n\n');
    const directory = path.join(scratch, 'a-directory');
    mkdirSync(directory);
    for (const file of [empty, blank, directory, path.join(scratch, 'no-such-dir', 'token')]) {
      const run = spawnSync(binaryPath, [], {
        env: { ...process.env, PARLEY_LISTEN: '127.0.0.1:0', PARLEY_DATA_DIR: path.join(scratch, 'data'), PARLEY_SERVICE_TOKEN_FILE: file },
        encoding: 'utf8',
        timeout: 15_000,
      });
      assert.equal(run.status, 2, `${file}: status ${run.status}\n${run.stdout}${run.stderr}`);
      assert.match(run.stderr, /configuration error: PARLEY_SERVICE_TOKEN_FILE/);
      assert.ok(run.stderr.includes(file), run.stderr);
    }
  });
});
