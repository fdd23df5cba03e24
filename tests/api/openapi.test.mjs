// Holds the running server to api/openapi.yaml: every documented operation is called, and every
// answer's status must be documented and its body must match that status' schema.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Ajv2020 from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import {
  PASSWORD, api, decodeJwt, eventually, opsUrl, registerUser, repoRoot, uniqueName, useServer,
} from './lib/harness.mjs';

const DOC_ID = 'https://parley.test/openapi.json';
const doc = YAML.parse(readFileSync(path.join(repoRoot, 'api/openapi.yaml'), 'utf8'));
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);
ajv.addSchema(doc, DOC_ID);

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];
const documented = Object.entries(doc.paths).flatMap(([template, item]) =>
  METHODS.filter((m) => item[m]).map((m) => `${m.toUpperCase()} ${template}`));
const exercised = new Set();

// JSON pointers (as URI fragments) into the document, and back.
const escapeSegment = (s) => encodeURIComponent(String(s).replaceAll('~', '~0').replaceAll('/', '~1'));
const unescapeSegment = (s) => decodeURIComponent(s).replaceAll('~1', '/').replaceAll('~0', '~');
const pointer = (...segments) => `#/${segments.map(escapeSegment).join('/')}`;
const resolve = (ref) => ref.slice(2).split('/').map(unescapeSegment).reduce((node, key) => node[key], doc);

const validators = new Map();
function validatorAt(schemaPointer) {
  if (!validators.has(schemaPointer)) {
    validators.set(schemaPointer, ajv.compile({ $ref: DOC_ID + schemaPointer }));
  }
  return validators.get(schemaPointer);
}

// Calls the operation `op` ("METHOD /template"), asserts the status is `expected`, and holds the
// answer to the document. params fill the path template; query, body, token, rawBody, headers as api().
// expectHeaders: headers this answer must carry (and document), beyond the required ones.
async function call(server, op, expected, { params = {}, query, expectHeaders = [], ...request } = {}) {
  const [method, template] = op.split(' ');
  const operation = doc.paths[template]?.[method.toLowerCase()];
  assert.ok(operation, `${op} is not in api/openapi.yaml`);
  exercised.add(op);
  let url = template.replace(/\{(\w+)\}/g, (_, name) => encodeURIComponent(params[name]));
  if (query) url += `?${new URLSearchParams(query)}`;
  const res = await api(server.baseUrl, method, url, request);
  assert.equal(res.status, expected, `${op}: ${res.status} ${res.text}`);

  let responsePointer = pointer('paths', template, method.toLowerCase(), 'responses', res.status);
  let response = operation.responses[res.status];
  assert.ok(response, `${op}: status ${res.status} is not documented`);
  if (response.$ref) [responsePointer, response] = [response.$ref, resolve(response.$ref)];

  // Headers marked required must be there; a string header that is there must match its schema.
  for (const [header, ref] of Object.entries(response.headers ?? {})) {
    const definition = ref.$ref ? resolve(ref.$ref) : ref;
    if (definition.required) assert.ok(res.headers.has(header), `${op} ${res.status}: header ${header} missing`);
    if (!res.headers.has(header) || definition.schema?.type !== 'string') continue;
    const validate = validatorAt(`${ref.$ref ?? `${responsePointer}/headers/${escapeSegment(header)}`}/schema`);
    const value = res.headers.get(header);
    assert.ok(validate(value), `${op} ${res.status}: header ${header} "${value}": ${ajv.errorsText(validate.errors)}`);
  }
  for (const header of expectHeaders) {
    const documentedHeaders = Object.keys(response.headers ?? {}).map((h) => h.toLowerCase());
    assert.ok(documentedHeaders.includes(header), `${op} ${res.status}: ${header} is not documented`);
    assert.ok(res.headers.has(header), `${op} ${res.status}: no ${header}`);
  }
  const types = Object.keys(response.content ?? {});
  if (types.length === 0) {
    assert.equal(res.text, '', `${op} ${res.status}: undocumented body`);
    return res;
  }
  const contentType = res.headers.get('content-type') ?? '';
  const type = types.find((t) => contentType.startsWith(t));
  assert.ok(type, `${op} ${res.status}: content type "${contentType}" is not one of ${types}`);
  if (type === 'application/json') {
    const validate = validatorAt(`${responsePointer}/content/application~1json/schema`);
    assert.ok(validate(res.body), `${op} ${res.status}: ${ajv.errorsText(validate.errors)}\n${res.text}`);
  }
  return res;
}

const server = useServer();
const state = {};
const newUser = () => {
  const username = uniqueName();
  return { username, email: `${username}@example.test`, password: PASSWORD };
};
const loginAs = (user, expected = 200, password = PASSWORD) =>
  call(server(), 'POST /api/v1/auth/login', expected, { body: { login: user.username, password } });
// The web app's flow: X-Parley-Client: web, the refresh token in the parley_refresh cookie.
const WEB = { 'x-parley-client': 'web' };
const SET_COOKIE = ['set-cookie'];
const refreshCookieOf = (res) => res.headers.getSetCookie()
  .map((line) => line.match(/^parley_refresh=([^;]*)/)?.[1]).find((v) => v !== undefined);
const withCookie = (value) => ({ ...WEB, cookie: `parley_refresh=${value}` });

// Cases that the contacts and blocks operations below share.
// The case of an operation on the contact request state[request] that only one side may do: the
// other side 403, a third user 404, no token 401, then the right side `status`.
const answeredBy = (request, { right, wrong, stranger }, status) => async (s, op) => {
  const params = { id: state[request].id };
  await call(s, op, 403, { token: state[wrong].access_token, params });
  await call(s, op, 404, { token: state[stranger].access_token, params });
  await call(s, op, 401, { params });
  await call(s, op, status, { token: state[right].access_token, params });
};
// The case of alice's list of {user, since} (contacts, blocks): a page of one that holds
// state[first], a bad limit 400, no token 401.
const aliceListHolds = (first, badLimit) => async (s, op) => {
  const token = state.alice.access_token;
  const { body } = await call(s, op, 200, { token, query: { limit: 1 } });
  assert.equal(body.items[0]?.user.id, state[first].user.id);
  await call(s, op, 400, { token, query: { limit: badLimit } });
  await call(s, op, 401);
};
// The case of alice removing state[other] from such a list: no token 401, then 204, again 404.
const aliceRemovesOnce = (other) => async (s, op) => {
  const params = { user_id: state[other].user.id };
  await call(s, op, 401, { params });
  await call(s, op, 204, { token: state.alice.access_token, params });
  await call(s, op, 404, { token: state.alice.access_token, params });
};

// One entry per operation, run in this order; state carries users and tokens between them.
const cases = {
  'POST /api/v1/auth/register': async (s, op) => {
    const alice = newUser();
    state.alice = (await call(s, op, 201, { body: alice })).body;
    state.bob = (await call(s, op, 201, { body: { ...newUser(), display_name: 'Bob' } })).body;
    await call(s, op, 409, { body: { ...newUser(), username: alice.username } });
    await call(s, op, 400, { body: { ...newUser(), username: 'x' } });
    await call(s, op, 400, { rawBody: '{"username": ' });
    await call(s, op, 415, { body: newUser(), headers: { 'content-type': 'text/plain' } });
    await call(s, op, 413, { rawBody: `{"username": "${'a'.repeat(2 << 20)}"}` });
    await call(s, op, 201, { body: newUser(), headers: WEB, expectHeaders: SET_COOKIE });
  },
  'POST /api/v1/auth/login': async (s, op) => {
    state.aliceSecond = (await loginAs(state.alice.user)).body;
    await loginAs(state.alice.user, 401, 'wrong password!');
    await call(s, op, 400, { body: { login: state.alice.user.username } });
    const carl = newUser();  // a user of the web app's flow (alice's sessions are counted below)
    await api(s.baseUrl, 'POST', '/api/v1/auth/register', { body: carl });
    const web = await call(s, op, 200, { body: { login: carl.username, password: PASSWORD }, headers: WEB, expectHeaders: SET_COOKIE });
    state.webCookie = refreshCookieOf(web);
  },
  'POST /api/v1/auth/refresh': async (s, op) => {
    state.aliceSecond = (await call(s, op, 200, { body: { refresh_token: state.aliceSecond.refresh_token } })).body;
    await call(s, op, 401, { body: { refresh_token: 'garbage' } });
    await call(s, op, 400, { body: {} });
    // From the cookie: rotated into the cookie; refused without the header; cleared when bad.
    const cookie = state.webCookie;
    await call(s, op, 403, { headers: { cookie: `parley_refresh=${cookie}` } });
    await call(s, op, 403, { headers: { ...withCookie(cookie), origin: 'https://elsewhere.example' } });
    const rotated = await call(s, op, 200, { headers: withCookie(cookie), expectHeaders: SET_COOKIE });
    state.webCookie = refreshCookieOf(rotated);
    await call(s, op, 401, { headers: withCookie('garbage'), body: {}, expectHeaders: SET_COOKIE });
  },
  'GET /api/v1/auth/sessions': async (s, op) => {
    const { body } = await call(s, op, 200, { token: state.alice.access_token });
    assert.equal(body.items.length, 2);
    await call(s, op, 401);
  },
  'DELETE /api/v1/auth/sessions/{id}': async (s, op) => {
    const id = decodeJwt(state.aliceSecond.access_token).payload.sid;
    await call(s, op, 204, { params: { id }, token: state.alice.access_token });
    await call(s, op, 404, { params: { id }, token: state.alice.access_token });
    await call(s, op, 401, { params: { id } });
  },
  'POST /api/v1/auth/logout': async (s, op) => {
    const session = (await loginAs(state.alice.user)).body;
    await call(s, op, 204, { body: { refresh_token: session.refresh_token } });
    await call(s, op, 401, { body: { refresh_token: 'garbage' } });
    await call(s, op, 403, { headers: { ...withCookie(state.webCookie), 'sec-fetch-site': 'cross-site' } });
    await call(s, op, 204, { headers: withCookie(state.webCookie), expectHeaders: SET_COOKIE });
    await call(s, op, 401, { headers: withCookie('garbage'), expectHeaders: SET_COOKIE });
  },
  'GET /api/v1/auth/jwks': (s, op) => call(s, op, 200),
  'GET /api/v1/users/me': async (s, op) => {
    await call(s, op, 200, { token: state.alice.access_token });
    await call(s, op, 401, { token: 'garbage' });
  },
  'PATCH /api/v1/users/me': async (s, op) => {
    const token = state.alice.access_token;
    await call(s, op, 200, { token, body: { display_name: 'Alice', bio: 'Hi\nthere', dm_policy: 'contacts' } });
    await call(s, op, 400, { token, body: { dm_policy: 'nobody' } });
    await call(s, op, 415, { token, body: {}, headers: { 'content-type': 'text/plain' } });
    await call(s, op, 401, { body: {} });
  },
  'GET /api/v1/users/{id}': async (s, op) => {
    const token = state.alice.access_token;
    await call(s, op, 200, { token, params: { id: state.bob.user.id } });
    await call(s, op, 404, { token, params: { id: 'no-such-user' } });
    await call(s, op, 401, { params: { id: state.bob.user.id } });
  },
  'GET /api/v1/users': async (s, op) => {
    const token = state.alice.access_token;
    const page = await call(s, op, 200, { token, query: { query: state.bob.user.username, limit: 1 } });
    assert.equal(page.body.items[0]?.id, state.bob.user.id);
    await call(s, op, 400, { token, query: { query: 'a', limit: 0 } });
    await call(s, op, 401, { query: { query: 'a' } });
  },
  // Contacts: alice asks bob (accepted), carol (declined) and dave (cancelled, then blocked).
  'POST /api/v1/contacts/requests': async (s, op) => {
    const token = state.alice.access_token;
    state.carol = await registerUser(s.baseUrl);
    state.dave = await registerUser(s.baseUrl);
    state.toBob = (await call(s, op, 201, { token, body: { username: state.bob.user.username } })).body;
    state.toCarol = (await call(s, op, 201, { token, body: { user_id: state.carol.user.id } })).body;
    state.toDave = (await call(s, op, 201, { token, body: { user_id: state.dave.user.id } })).body;
    await call(s, op, 409, { token, body: { user_id: state.bob.user.id } });
    await call(s, op, 404, { token, body: { username: uniqueName('nobody') } });
    await call(s, op, 400, { token, body: { user_id: state.alice.user.id } });
    await call(s, op, 400, { token, body: {} });
    await call(s, op, 415, { token, body: { user_id: state.bob.user.id }, headers: { 'content-type': 'text/plain' } });
    await call(s, op, 401, { body: { username: state.bob.user.username } });
  },
  'GET /api/v1/contacts/requests': async (s, op) => {
    const token = state.alice.access_token;
    const first = await call(s, op, 200, { token, query: { direction: 'outgoing', limit: 2 } });
    assert.equal(first.body.items.length, 2);
    const second = await call(s, op, 200, { token, query: { direction: 'outgoing', cursor: first.body.next_cursor } });
    assert.equal(second.body.items.length, 1);
    const incoming = await call(s, op, 200, { token: state.bob.access_token });
    assert.deepEqual(incoming.body.items.map((r) => r.id), [state.toBob.id]);
    await call(s, op, 400, { token, query: { direction: 'sideways' } });
    await call(s, op, 400, { token, query: { limit: 0 } });
    await call(s, op, 401);
  },
  'POST /api/v1/contacts/requests/{id}/accept': answeredBy('toBob', { right: 'bob', wrong: 'alice', stranger: 'carol' }, 200),
  'POST /api/v1/contacts/requests/{id}/decline': answeredBy('toCarol', { right: 'carol', wrong: 'alice', stranger: 'dave' }, 204),
  'DELETE /api/v1/contacts/requests/{id}': answeredBy('toDave', { right: 'alice', wrong: 'dave', stranger: 'carol' }, 204),
  'GET /api/v1/contacts': aliceListHolds('bob', 0),
  'DELETE /api/v1/contacts/{user_id}': aliceRemovesOnce('bob'),
  'PUT /api/v1/blocks/{user_id}': async (s, op) => {
    const token = state.alice.access_token;
    await call(s, op, 204, { token, params: { user_id: state.dave.user.id } });
    await call(s, op, 204, { token, params: { user_id: state.dave.user.id } });
    await call(s, op, 400, { token, params: { user_id: state.alice.user.id } });
    await call(s, op, 404, { token, params: { user_id: 'no-such-user' } });
    await call(s, op, 401, { params: { user_id: state.dave.user.id } });
  },
  'GET /api/v1/blocks': aliceListHolds('dave', 'ten'),
  'DELETE /api/v1/blocks/{user_id}': aliceRemovesOnce('dave'),
  // Conversations and messages: owner makes a group with member; outsider is in none of it;
  // joiner comes in with an invite code; added is added and removed by the owner.
  'POST /api/v1/conversations': async (s, op) => {
    const m = (state.m = {});
    for (const name of ['owner', 'member', 'outsider', 'joiner', 'added']) m[name] = await registerUser(s.baseUrl);
    // The member's log from the start: the sync case below validates every kind of event.
    m.memberCursor = (await api(s.baseUrl, 'GET', '/api/v1/sync', { token: m.member.access_token })).body.cursor;
    const token = m.owner.access_token;
    m.direct = (await call(s, op, 201, { token, body: { kind: 'direct', user_id: m.member.user.id } })).body;
    await call(s, op, 200, { token: m.member.access_token, body: { kind: 'direct', user_id: m.owner.user.id } });
    m.group = (await call(s, op, 201, {
      token, body: { kind: 'group', title: ' Team ', member_ids: [m.member.user.id] },
    })).body;
    assert.equal(m.group.title, 'Team');
    await call(s, op, 400, { token, body: { kind: 'channel', user_id: m.member.user.id } });
    await call(s, op, 400, { token, body: { kind: 'group', title: '', member_ids: [] } });
    await call(s, op, 400, { token, body: { kind: 'direct', user_id: m.owner.user.id } });
    // alice's dm_policy is contacts (PATCH /api/v1/users/me above) and the owner is no contact.
    await call(s, op, 403, { token, body: { kind: 'direct', user_id: state.alice.user.id } });
    await call(s, op, 404, { token, body: { kind: 'direct', user_id: 'no-such-user' } });
    await call(s, op, 400, { token, rawBody: '{"kind": ' });
    await call(s, op, 415, { token, body: { kind: 'group', title: 'x' }, headers: { 'content-type': 'text/plain' } });
    await call(s, op, 413, { token, rawBody: `{"kind": "group", "title": "${'a'.repeat(2 << 20)}"}` });
    await call(s, op, 401, { body: { kind: 'group', title: 'x', member_ids: [] } });
  },
  'GET /api/v1/conversations': async (s, op) => {
    const token = state.m.owner.access_token;
    const first = await call(s, op, 200, { token, query: { limit: 1 } });
    assert.deepEqual(first.body.items.map((c) => c.id), [state.m.group.id]);
    const second = await call(s, op, 200, { token, query: { limit: 1, cursor: first.body.next_cursor } });
    assert.deepEqual(second.body.items.map((c) => c.id), [state.m.direct.id]);
    await call(s, op, 400, { token, query: { limit: 0 } });
    await call(s, op, 401);
  },
  'GET /api/v1/conversations/{id}': async (s, op) => {
    const params = { id: state.m.group.id };
    await call(s, op, 200, { token: state.m.member.access_token, params });
    await call(s, op, 200, { token: state.m.member.access_token, params: { id: state.m.direct.id } });
    await call(s, op, 404, { token: state.m.outsider.access_token, params });
    await call(s, op, 401, { params });
  },
  'PATCH /api/v1/conversations/{id}': async (s, op) => {
    const params = { id: state.m.group.id };
    await call(s, op, 200, { token: state.m.owner.access_token, params, body: { title: 'Team 2' } });
    await call(s, op, 403, { token: state.m.member.access_token, params, body: { title: 'Mine' } });
    await call(s, op, 400, { token: state.m.owner.access_token, params: { id: state.m.direct.id }, body: { title: 'Us' } });
    await call(s, op, 400, { token: state.m.owner.access_token, params, body: { title: '' } });
    await call(s, op, 404, { token: state.m.outsider.access_token, params, body: { title: 'x' } });
    await call(s, op, 401, { params, body: { title: 'x' } });
  },
  'POST /api/v1/conversations/{id}/members': async (s, op) => {
    const { owner, member, added } = state.m;
    const params = { id: state.m.group.id };
    await call(s, op, 403, { token: member.access_token, params, body: { user_id: added.user.id } });
    const res = await call(s, op, 201, { token: owner.access_token, params, body: { user_id: added.user.id } });
    assert.equal(res.body.members.length, 3);
    await call(s, op, 409, { token: owner.access_token, params, body: { user_id: added.user.id } });
    await call(s, op, 404, { token: owner.access_token, params, body: { user_id: 'no-such-user' } });
    await call(s, op, 400, { token: owner.access_token, params: { id: state.m.direct.id }, body: { user_id: added.user.id } });
    await call(s, op, 401, { params, body: { user_id: added.user.id } });
  },
  'DELETE /api/v1/conversations/{id}/members/{user_id}': async (s, op) => {
    const { owner, member, outsider, added } = state.m;
    const params = { id: state.m.group.id, user_id: added.user.id };
    await call(s, op, 403, { token: member.access_token, params });
    await call(s, op, 404, { token: outsider.access_token, params });
    await call(s, op, 400, { token: owner.access_token, params: { id: state.m.direct.id, user_id: member.user.id } });
    await call(s, op, 401, { params });
    await call(s, op, 204, { token: owner.access_token, params });
    await call(s, op, 404, { token: owner.access_token, params });
  },
  'POST /api/v1/conversations/{id}/invite-code': async (s, op) => {
    const { owner, member, outsider } = state.m;
    const params = { id: state.m.group.id };
    state.m.code = (await call(s, op, 201, { token: owner.access_token, params })).body.code;
    await call(s, op, 403, { token: member.access_token, params });
    await call(s, op, 400, { token: owner.access_token, params: { id: state.m.direct.id } });
    await call(s, op, 404, { token: outsider.access_token, params });
    await call(s, op, 401, { params });
  },
  'POST /api/v1/conversations/join': async (s, op) => {
    const token = state.m.joiner.access_token;
    const res = await call(s, op, 200, { token, body: { code: state.m.code } });
    assert.equal(res.body.id, state.m.group.id);
    await call(s, op, 200, { token, body: { code: state.m.code } });
    await call(s, op, 404, { token, body: { code: 'no-such-code' } });
    await call(s, op, 400, { token, body: {} });
    await call(s, op, 401, { body: { code: state.m.code } });
  },
  'POST /api/v1/conversations/{id}/messages': async (s, op) => {
    const { owner, member, outsider, joiner } = state.m;
    const params = { id: state.m.group.id };
    const first = await call(s, op, 201, { token: member.access_token, params, body: { body: 'hello 😀', client_id: 'c-1' } });
    state.m.message = first.body;
    const again = await call(s, op, 200, { token: member.access_token, params, body: { body: 'hello 😀', client_id: 'c-1' } });
    assert.deepEqual(again.body, first.body);
    state.m.ownerMessage = (await call(s, op, 201, { token: owner.access_token, params, body: { body: 'from the owner' } })).body;
    await call(s, op, 400, { token: member.access_token, params, body: { body: '' } });
    await call(s, op, 400, { token: member.access_token, params, body: { body: 'x', client_id: 'has space' } });
    await call(s, op, 404, { token: outsider.access_token, params, body: { body: 'let me in' } });
    await call(s, op, 401, { params, body: { body: 'x' } });
    // A direct conversation after a block (the block reaches the messages service by an event).
    const dm = (await api(s.baseUrl, 'POST', '/api/v1/conversations', {
      token: joiner.access_token, body: { kind: 'direct', user_id: outsider.user.id },
    })).body;
    const blocked = await api(s.baseUrl, 'PUT', `/api/v1/blocks/${outsider.user.id}`, { token: joiner.access_token });
    assert.equal(blocked.status, 204, blocked.text);
    await eventually(() => call(s, op, 403, { token: outsider.access_token, params: { id: dm.id }, body: { body: 'hi?' } }));
  },
  'GET /api/v1/conversations/{id}/messages': async (s, op) => {
    const token = state.m.joiner.access_token;
    const params = { id: state.m.group.id };
    const latest = await call(s, op, 200, { token, params, query: { limit: 1 } });
    assert.deepEqual(latest.body.items.map((m) => m.seq), [2]);
    assert.equal(latest.body.has_more, true);
    await call(s, op, 200, { token, params, query: { after_seq: 1 } });
    await call(s, op, 200, { token, params, query: { before_seq: 2 } });
    await call(s, op, 400, { token, params, query: { after_seq: 1, before_seq: 2 } });
    await call(s, op, 400, { token, params, query: { after_seq: -1 } });
    await call(s, op, 404, { token: state.m.outsider.access_token, params });
    await call(s, op, 401, { params });
  },
  'PATCH /api/v1/conversations/{id}/messages/{message_id}': async (s, op) => {
    const { owner, member, outsider } = state.m;
    const params = { id: state.m.group.id, message_id: state.m.message.id };
    const res = await call(s, op, 200, { token: member.access_token, params, body: { body: 'hello, edited' } });
    assert.equal(res.body.body, 'hello, edited');
    await call(s, op, 403, { token: owner.access_token, params, body: { body: 'not mine' } });
    await call(s, op, 400, { token: member.access_token, params, body: { body: '' } });
    await call(s, op, 404, { token: member.access_token, params: { ...params, message_id: 'no-such-message' }, body: { body: 'x' } });
    await call(s, op, 404, { token: outsider.access_token, params, body: { body: 'x' } });
    await call(s, op, 401, { params, body: { body: 'x' } });
    // A deleted message cannot be edited.
    const gone = (await api(s.baseUrl, 'POST', `/api/v1/conversations/${state.m.group.id}/messages`, {
      token: member.access_token, body: { body: 'soon gone' },
    })).body;
    const deleted = await api(s.baseUrl, 'DELETE', `/api/v1/conversations/${state.m.group.id}/messages/${gone.id}`, {
      token: member.access_token,
    });
    assert.equal(deleted.status, 204, deleted.text);
    await call(s, op, 409, { token: member.access_token, params: { ...params, message_id: gone.id }, body: { body: 'back' } });
  },
  'DELETE /api/v1/conversations/{id}/messages/{message_id}': async (s, op) => {
    const { owner, member, outsider } = state.m;
    const params = { id: state.m.group.id, message_id: state.m.message.id };
    await call(s, op, 403, { token: member.access_token, params: { ...params, message_id: state.m.ownerMessage.id } });
    await call(s, op, 404, { token: outsider.access_token, params });
    await call(s, op, 404, { token: owner.access_token, params: { ...params, message_id: 'no-such-message' } });
    await call(s, op, 401, { params });
    await call(s, op, 204, { token: owner.access_token, params }); // the owner deletes the member's message
    await call(s, op, 204, { token: member.access_token, params });
  },
  'POST /api/v1/conversations/{id}/read': async (s, op) => {
    const { owner, member, outsider } = state.m;
    const params = { id: state.m.group.id };
    // A message of someone else, so that reading it moves the member's marker.
    const latest = (await api(s.baseUrl, 'POST', `/api/v1/conversations/${state.m.group.id}/messages`, {
      token: owner.access_token, body: { body: 'read me' },
    })).body;
    await call(s, op, 204, { token: member.access_token, params, body: { seq: latest.seq } });
    await call(s, op, 204, { token: member.access_token, params, body: { seq: 1 } });
    await call(s, op, 400, { token: member.access_token, params, body: { seq: 1000 } });
    await call(s, op, 400, { token: member.access_token, params, body: { seq: -1 } });
    await call(s, op, 404, { token: outsider.access_token, params, body: { seq: 1 } });
    await call(s, op, 401, { params, body: { seq: 1 } });
  },
  'GET /api/v1/sync': async (s, op) => {
    const { member, outsider } = state.m;
    const token = member.access_token;
    await call(s, op, 200, { token });
    const types = new Set();
    let cursor = state.m.memberCursor;
    for (let n = 0; n < 10; n++) {
      const page = await call(s, op, 200, { token, query: { cursor, timeout_ms: 0 } });
      if (page.body.events.length === 0) break;
      page.body.events.forEach((e) => types.add(e.type));
      cursor = page.body.cursor;
    }
    assert.deepEqual([...types].sort(), [
      'conversation.created', 'conversation.updated', 'member.added', 'member.removed',
      'message.created', 'message.deleted', 'message.updated', 'read.updated',
    ]);
    await call(s, op, 400, { token, query: { cursor: 'not a cursor!' } });
    await call(s, op, 400, { token, query: { timeout_ms: -1 } });
    // A cursor past the end of the log (as after a restore from an older backup). Cursors are
    // opaque to clients; the test knows their shape: base64url "epoch:gseq".
    const [epoch, gseq] = Buffer.from(cursor, 'base64url').toString().split(':');
    const future = Buffer.from(`${epoch}:${BigInt(gseq) + 1000000n}`).toString('base64url');
    await call(s, op, 410, { token: outsider.access_token, query: { cursor: future, timeout_ms: 0 } });
    await call(s, op, 401);
  },
  'POST /api/v1/auth/password': async (s, op) => {
    const token = state.bob.access_token;
    await call(s, op, 401, { token, body: { current_password: 'wrong password!', new_password: 'long enough' } });
    await call(s, op, 400, { token, body: { current_password: PASSWORD, new_password: 'short' } });
    await call(s, op, 204, { token, body: { current_password: PASSWORD, new_password: 'long enough' } });
  },
  'DELETE /api/v1/auth/account': async (s, op) => {
    const { access_token: token } = await registerUser(s.baseUrl);
    await call(s, op, 401, { token, body: { password: 'wrong password!' } });
    await call(s, op, 400, { token, body: {} });
    await call(s, op, 202, { token, body: { password: PASSWORD } });
    const web = await api(s.baseUrl, 'POST', '/api/v1/auth/register', { body: newUser(), headers: WEB });
    await call(s, op, 202, {
      token: web.body.access_token, body: { password: PASSWORD }, headers: withCookie(refreshCookieOf(web)),
      expectHeaders: SET_COOKIE,
    });
  },
  'GET /livez': (s, op) => call({ baseUrl: opsUrl(s.baseUrl) }, op, 200),
  'GET /readyz': (s, op) => call({ baseUrl: opsUrl(s.baseUrl) }, op, 200),
  'GET /metrics': (s, op) => call({ baseUrl: opsUrl(s.baseUrl) }, op, 200),
};

test('every response schema compiles', () => {
  for (const [template, item] of Object.entries(doc.paths)) {
    for (const method of METHODS.filter((m) => item[m])) {
      for (const [status, response] of Object.entries(item[method].responses)) {
        const at = response.$ref ?? pointer('paths', template, method, 'responses', status);
        if (resolve(at).content?.['application/json']) validatorAt(`${at}/content/application~1json/schema`);
      }
    }
  }
});

for (const [op, run] of Object.entries(cases)) {
  test(op, () => run(server(), op));
}

test('every documented operation was exercised', () => {
  assert.deepEqual(documented.filter((op) => !exercised.has(op)), []);
});
