// GET /api/v1/sync, the long poll: cursors, waiting and waking, which events each user gets,
// no event skipped or repeated between consecutive cursors, expired cursors (pruning), events
// kept across a restart, and a graceful stop releasing waiting polls.
// (Concurrency storms and crashes are tested elsewhere.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  api, decodeJwt, eventually, expectError, expectInvalid, login, needsOwnServer, registerUser, start, useServer, TIMESTAMP,
} from './lib/harness.mjs';

const server = useServer();
const base = () => server().baseUrl;
const enc = encodeURIComponent;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));


// Every helper takes the base URL last (default: the shared server), so the tests that run their
// own server can use them too.
const call = (method, path, who, body, at = base()) => api(at, method, path, { token: who?.access_token, body });
const query = (params) => (Object.keys(params).length ? `?${new URLSearchParams(params)}` : '');
const sync = (who, params = {}, at) => call('GET', `/api/v1/sync${query(params)}`, who, undefined, at);
const convPath = (id) => `/api/v1/conversations/${enc(id)}`;

async function users(count, at = base()) {
  const made = [];
  for (let i = 0; i < count; i++) made.push(await registerUser(at));
  return made;
}

async function must(res, status, what) {
  const r = await res;
  assert.equal(r.status, status, `${what}: ${r.status} ${r.text}`);
  return r.body;
}
const mustDirect = (a, b, at) => must(call('POST', '/api/v1/conversations', a, { kind: 'direct', user_id: b.user.id }, at), 201, 'direct');
const mustGroup = (owner, members, title = 'Team', at = undefined) => must(call('POST', '/api/v1/conversations', owner,
  { kind: 'group', title, member_ids: members.map((m) => m.user.id) }, at), 201, 'group');
const mustSay = (who, id, text = 'hello', at = undefined) =>
  must(call('POST', `${convPath(id)}/messages`, who, { body: text }, at), 201, 'send');

function expectNoContent(res) {
  assert.equal(res.status, 204, res.text);
  assert.equal(res.text, '');
}

// Asserts a 200 {cursor, events}; returns the body.
function assertPage(res) {
  assert.equal(res.status, 200, res.text);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(Object.keys(res.body).sort(), ['cursor', 'events']);
  assert.equal(typeof res.body.cursor, 'string');
  assert.ok(res.body.cursor.length > 0);
  assert.ok(Array.isArray(res.body.events));
  res.body.events.forEach(assertEvent);
  return res.body;
}

const MESSAGE_EVENTS = ['message.created', 'message.updated', 'message.deleted'];
const CONVERSATION_EVENTS = ['conversation.created', 'conversation.updated', 'read.updated'];
const MEMBER_EVENTS = ['member.added', 'member.removed'];

function assertEvent(e) {
  assert.equal(typeof e.conversation_id, 'string', JSON.stringify(e));
  if (MESSAGE_EVENTS.includes(e.type)) {
    assert.deepEqual(Object.keys(e).sort(), ['conversation_id', 'message', 'type']);
    assert.equal(e.message.conversation_id, e.conversation_id);
    assert.ok(Number.isInteger(e.message.seq));
    assert.match(e.message.created_at, TIMESTAMP);
    assert.equal(e.message.deleted, e.type === 'message.deleted');
    if (e.type === 'message.deleted') assert.equal(e.message.body, null);
  } else if (CONVERSATION_EVENTS.includes(e.type) || MEMBER_EVENTS.includes(e.type)) {
    const keys = ['conversation', 'conversation_id', 'type', ...(MEMBER_EVENTS.includes(e.type) ? ['user_id'] : [])];
    assert.deepEqual(Object.keys(e).sort(), keys.sort());
    assert.equal(e.conversation.id, e.conversation_id);
    assert.deepEqual(Object.keys(e.conversation).sort(),
      ['created_at', 'id', 'kind', 'last_message', 'members', 'title', 'unread_count']);
    if (MEMBER_EVENTS.includes(e.type)) assert.equal(typeof e.user_id, 'string');
  } else {
    assert.fail(`unknown event type: ${JSON.stringify(e)}`);
  }
}

// The cursor now (sync without a cursor).
async function cursorOf(who, at) {
  const page = assertPage(await sync(who, {}, at));
  assert.deepEqual(page.events, []);
  return page.cursor;
}

// Every event after cursor, syncing (without waiting) until none is left; returns {events, cursor}.
async function drain(who, cursor, at) {
  const events = [];
  for (let n = 0; n < 1000; n++) {
    const page = assertPage(await sync(who, { cursor, timeout_ms: '0' }, at));
    // The cursor is one position in a log shared by everybody: with no events for this user it
    // may still move on, past other users' events.
    if (page.events.length === 0) return { events, cursor: page.cursor };
    assert.notEqual(page.cursor, cursor, 'events but the same cursor');
    events.push(...page.events);
    cursor = page.cursor;
  }
  return assert.fail('sync did not catch up within 1000 calls');
}

// A short, comparable description of an event.
const describeEvent = (e) => [e.type, e.conversation_id, e.message?.seq ?? e.user_id ?? null];

// Starts a poll from cursor and reports when it answers: {promise, elapsed()}.
function poll(who, cursor, timeoutMs, at) {
  const started = Date.now();
  let answeredAt = null;
  const promise = sync(who, { cursor, timeout_ms: String(timeoutMs) }, at).then((res) => {
    answeredAt = Date.now();
    return res;
  });
  return { promise, answered: () => answeredAt !== null, elapsed: () => (answeredAt ?? Date.now()) - started };
}

describe('authentication', () => {
  test('no or a garbage token answers 401', async () => {
    expectError(await sync(undefined), 401, 'unauthenticated');
    expectError(await sync({ access_token: 'garbage' }), 401, 'unauthenticated');
    expectError(await sync(undefined, { cursor: 'MA', timeout_ms: '0' }), 401, 'unauthenticated');
  });

  test('a poll waiting while its session is revoked gets 401 when an event comes, not the event', async () => {
    const [alice, bob] = await users(2);
    const conv = await mustDirect(bob, alice);
    const phone = (await login(base(), alice.user.username)).body;  // alice's second device
    const { cursor } = assertPage(await sync(phone));
    const waiting = sync(phone, { cursor, timeout_ms: '20000' });
    await sleep(300);  // parked
    const sid = decodeJwt(phone.access_token).payload.sid;
    assert.equal((await call('DELETE', `/api/v1/auth/sessions/${sid}`, alice)).status, 204);  // "sign out my phone"
    await eventually(async () => expectError(await sync(phone, { timeout_ms: '0' }), 401, 'unauthenticated'));
    await mustSay(bob, conv.id, 'not for the signed-out phone');
    const res = await waiting;
    expectError(res, 401, 'unauthenticated');
    // alice's other session still gets it
    const page = assertPage(await sync(alice, { cursor, timeout_ms: '0' }));
    assert.deepEqual(page.events.filter((e) => e.type === 'message.created').map((e) => e.message.body), ['not for the signed-out phone']);
  });
});

describe('cursors', () => {
  test('without a cursor: at once, the current cursor and no events', async () => {
    const [alice, bob] = await users(2);
    const started = Date.now();
    const first = assertPage(await sync(alice, { timeout_ms: '10000' }));
    assert.ok(Date.now() - started < 2000, 'did not answer at once');
    assert.deepEqual(first.events, []);
    assert.deepEqual((await drain(alice, first.cursor)).events, []);

    const dm = await mustDirect(alice, bob);
    const now = await cursorOf(alice);
    assert.notEqual(now, first.cursor);
    // The current cursor is past every event so far.
    assert.deepEqual((await drain(alice, now)).events, []);
    const { events } = await drain(alice, first.cursor);
    assert.deepEqual(events.map(describeEvent), [['conversation.created', dm.id, null]]);
  });

  test('an empty cursor (`cursor=`) is no cursor: at once, the current cursor and no events', async () => {
    const [alice, bob] = await users(2);
    const dm = await mustDirect(alice, bob);
    const started = Date.now();
    const page = assertPage(await sync(alice, { cursor: '', timeout_ms: '10000' }));
    assert.ok(Date.now() - started < 2000, 'did not answer at once');
    assert.deepEqual(page.events, []);
    assert.equal(page.cursor, await cursorOf(alice));
    await mustSay(bob, dm.id, 'after the empty cursor');
    assert.deepEqual((await drain(alice, page.cursor)).events.map(describeEvent), [['message.created', dm.id, 1]]);
  });

  test('with a cursor and events after it: answers at once, even with a long timeout', async () => {
    const [alice, bob] = await users(2);
    const cursor = await cursorOf(alice);
    const dm = await mustDirect(bob, alice);
    const m = await mustSay(bob, dm.id, 'hi');
    const started = Date.now();
    const page = assertPage(await sync(alice, { cursor, timeout_ms: '10000' }));
    assert.ok(Date.now() - started < 2000, 'did not answer at once');
    assert.notEqual(page.cursor, cursor);
    // With replicas, the one answering may not have heard of the message yet (it was written by
    // another): then it comes with the next poll, at once too.
    const events = [...page.events];
    if (events.length < 2) {
      const next = assertPage(await sync(alice, { cursor: page.cursor, timeout_ms: '10000' }));
      assert.ok(Date.now() - started < 2000, 'the second poll did not answer at once');
      events.push(...next.events);
    }
    assert.deepEqual(events.map((e) => e.type), ['conversation.created', 'message.created']);
    assert.deepEqual(events[0].conversation.id, dm.id);
    assert.deepEqual(events[1], { type: 'message.created', conversation_id: dm.id, message: m });
  });

  test('waits for an event: a message sent while the poll waits answers it well before the timeout', async () => {
    const [alice, bob] = await users(2);
    const dm = await mustDirect(alice, bob);
    const cursor = await cursorOf(bob);
    const waiting = poll(bob, cursor, 10_000);
    await sleep(300);
    assert.equal(waiting.answered(), false, 'the poll answered before any event');
    const m = await mustSay(alice, dm.id, 'wake up');
    const page = assertPage(await waiting.promise);
    assert.ok(waiting.elapsed() < 5000, `answered after ${waiting.elapsed()} ms`);
    assert.deepEqual(page.events, [{ type: 'message.created', conversation_id: dm.id, message: m }]);
    assert.deepEqual((await drain(bob, page.cursor)).events, []);
  });

  test('no event until the timeout: events [] and a cursor back that misses nothing after it', async () => {
    const [alice, bob] = await users(2);
    const cursor = await cursorOf(alice);
    const waiting = poll(alice, cursor, 700);
    const page = assertPage(await waiting.promise);
    assert.deepEqual(page.events, []);
    assert.ok(waiting.elapsed() >= 650, `answered after ${waiting.elapsed()} ms, before the timeout`);
    assert.ok(waiting.elapsed() < 5000, `answered after ${waiting.elapsed()} ms`);
    // timeout_ms=0 answers at once.
    const started = Date.now();
    const again = assertPage(await sync(alice, { cursor: page.cursor, timeout_ms: '0' }));
    assert.deepEqual(again.events, []);
    assert.ok(Date.now() - started < 1000);
    // What comes next is after either cursor.
    const dm = await mustDirect(bob, alice);
    for (const from of [cursor, page.cursor, again.cursor])
      assert.deepEqual((await drain(alice, from)).events.map(describeEvent), [['conversation.created', dm.id, null]]);
  });

  test('an event for somebody else does not answer the poll', async () => {
    const [alice, bob, carol] = await users(3);
    const cursor = await cursorOf(carol);
    const waiting = poll(carol, cursor, 1000);
    const dm = await mustDirect(alice, bob);
    await mustSay(alice, dm.id, 'not for carol');
    const page = assertPage(await waiting.promise);
    assert.deepEqual(page.events, []);
    assert.ok(waiting.elapsed() >= 950, `answered after ${waiting.elapsed()} ms`);
    // The cursor moved past the others' events, so that the next poll does not look at them again.
    assert.notEqual(page.cursor, cursor);
    assert.deepEqual((await drain(carol, cursor)).events, []);
  });

  test('timeout_ms above 60000 is clamped, not refused', async () => {
    const [alice, bob] = await users(2);
    assertPage(await sync(alice, { timeout_ms: '999999' }));
    assertPage(await sync(alice, { timeout_ms: '99999999999999999999999' }));
    const cursor = await cursorOf(alice);
    const waiting = poll(alice, cursor, 999_999);
    await sleep(200);
    const dm = await mustDirect(bob, alice);
    const page = assertPage(await waiting.promise);
    assert.deepEqual(page.events.map(describeEvent), [['conversation.created', dm.id, null]]);
  });

  test('a negative or non-numeric timeout_ms answers 400 naming timeout_ms', async () => {
    const [alice] = await users(1);
    const cursor = await cursorOf(alice);
    for (const timeout of ['-1', 'ten', '1.5', '10ms', '', '-99999999999999999999']) {
      expectInvalid(await sync(alice, { timeout_ms: timeout }), 'timeout_ms');
      expectInvalid(await sync(alice, { cursor, timeout_ms: timeout }), 'timeout_ms');
    }
  });

  test('a malformed cursor answers 400 naming cursor', async () => {
    const [alice] = await users(1);
    for (const cursor of ['garbage!', 'not a cursor', '%%%', "' OR 1=1 --", '-1', 'x'.repeat(5000)]) {
      expectInvalid(await sync(alice, { cursor, timeout_ms: '0' }), 'cursor');
    }
  });

  test('a cursor past the end of the log, of another database, or of the old format answers 410 cursor_expired', async () => {
    // What a client holds after the server's database was restored from an older backup, or
    // replaced. Cursors are opaque to clients; the test knows their shape: base64url "epoch:gseq".
    const [carol, bob] = await users(2);
    const real = await cursorOf(carol);
    const [epoch, gseq] = Buffer.from(real, 'base64url').toString().split(':');
    assert.match(epoch, /^[0-9a-f]+$/);
    const forge = (text) => Buffer.from(text).toString('base64url');
    const expired = [
      forge(`${epoch}:${BigInt(gseq) + 1000000n}`),  // past the end
      forge(`${epoch === '0123456789abcdef' ? 'fedcba9876543210' : '0123456789abcdef'}:${gseq}`),  // another database
      forge('12'),  // a per-user cursor of the old log
    ];
    for (const cursor of expired) {
      expectError(await sync(carol, { cursor, timeout_ms: '0' }), 410, 'cursor_expired');
      expectError(await sync(carol, { cursor, timeout_ms: '5000' }), 410, 'cursor_expired');
    }
    // Nearly right is malformed, not expired.
    for (const text of [`${epoch}:`, `${epoch}:-1`, `${epoch}:1x`, `:${gseq}`, `zz:${gseq}`, `${epoch}:99999999999999999999`])
      expectInvalid(await sync(carol, { cursor: forge(text), timeout_ms: '0' }), 'cursor');
    // Starting again without a cursor works.
    const fresh = await cursorOf(carol);
    const dm = await mustDirect(bob, carol);
    assert.deepEqual((await drain(carol, fresh)).events.map(describeEvent), [['conversation.created', dm.id, null]]);
  });

  test('a cursor is a position in one log: another user\'s cursor works, and shows only your events', async () => {
    const [alice, bob, carol] = await users(3);
    const aliceCursor = await cursorOf(alice);
    const dm = await mustDirect(alice, bob);
    const m = await mustSay(alice, dm.id, 'not for carol');
    const g = await mustGroup(bob, [carol]);
    const carolEvents = (await drain(carol, aliceCursor)).events;
    assert.deepEqual(carolEvents.map(describeEvent), [['conversation.created', g.id, null]]);
    assert.ok(!JSON.stringify(carolEvents).includes(m.id));
  });
});

describe('who gets which events', () => {
  test('members get message, conversation and member events; read.updated only the reader; outsiders nothing', async () => {
    const [owner, ann, ben, outsider] = await users(4);
    const start = new Map();
    for (const who of [owner, ann, ben, outsider]) start.set(who, await cursorOf(who));
    // A second session of ben: his other device.
    const benPhone = (await login(base(), ben.user.username)).body;
    const benPhoneStart = await cursorOf(benPhone);

    const g = await mustGroup(owner, [ann], 'Plans');
    const added = await must(call('POST', `${convPath(g.id)}/members`, owner, { user_id: ben.user.id }), 201, 'add');
    const m1 = await mustSay(ann, g.id, 'first');
    const edited = await must(call('PATCH', `${convPath(g.id)}/messages/${m1.id}`, ann, { body: 'first!' }), 200, 'edit');
    const renamed = await must(call('PATCH', convPath(g.id), owner, { title: 'New plans' }), 200, 'rename');
    expectNoContent(await call('POST', `${convPath(g.id)}/read`, ben, { seq: 1 }));
    expectNoContent(await call('DELETE', `${convPath(g.id)}/messages/${m1.id}`, owner));
    expectNoContent(await call('DELETE', `${convPath(g.id)}/members/${ann.user.id}`, owner));
    const m2 = await mustSay(ben, g.id, 'second');

    const eventsOf = async (who, from = start.get(who)) => (await drain(who, from)).events;
    const [ownerEvents, annEvents, benEvents] = [await eventsOf(owner), await eventsOf(ann), await eventsOf(ben)];
    const id = g.id;
    assert.deepEqual(ownerEvents.map(describeEvent), [
      ['conversation.created', id, null], ['member.added', id, ben.user.id], ['message.created', id, 1],
      ['message.updated', id, 1], ['conversation.updated', id, null], ['message.deleted', id, 1],
      ['member.removed', id, ann.user.id], ['message.created', id, 2],
    ]);
    assert.deepEqual(annEvents.map(describeEvent), [
      ['conversation.created', id, null], ['member.added', id, ben.user.id], ['message.created', id, 1],
      ['message.updated', id, 1], ['conversation.updated', id, null], ['message.deleted', id, 1],
      ['member.removed', id, ann.user.id],
    ]);
    assert.deepEqual(benEvents.map(describeEvent), [
      ['member.added', id, ben.user.id], ['message.created', id, 1],
      ['message.updated', id, 1], ['conversation.updated', id, null], ['read.updated', id, null],
      ['message.deleted', id, 1], ['member.removed', id, ann.user.id], ['message.created', id, 2],
    ]);
    assert.deepEqual(await eventsOf(outsider), []);
    // Both of ben's sessions see the same events (his log, not a session's).
    assert.deepEqual(await eventsOf(benPhone, benPhoneStart), benEvents);

    // What the events carry.
    const find = (events, type) => events.find((e) => e.type === type);
    assert.deepEqual(find(ownerEvents, 'message.created').message, m1);
    assert.deepEqual(find(benEvents, 'message.updated').message, edited);
    assert.deepEqual(ownerEvents.at(-1).message, m2);
    const tomb = find(annEvents, 'message.deleted').message;
    assert.deepEqual({ ...tomb, body: edited.body, deleted: false }, edited);
    assert.equal(find(ownerEvents, 'conversation.created').conversation.title, 'Plans');
    assert.equal(find(annEvents, 'conversation.updated').conversation.title, renamed.title);
    assert.deepEqual(find(benEvents, 'member.added').conversation.members.map((m) => m.user_id).sort(),
      added.members.map((m) => m.user_id).sort());
    assert.ok(!find(ownerEvents, 'member.removed').conversation.members.some((m) => m.user_id === ann.user.id));
    const read = find(benEvents, 'read.updated').conversation;
    assert.equal(read.unread_count, 0);
  });

  test('conversation and member events carry each member\'s own unread count', async () => {
    const [owner, ann, ben] = await users(3);
    const g = await mustGroup(owner, [ann, ben], 'Counts');
    const start = new Map();
    for (const who of [owner, ann, ben]) start.set(who, await cursorOf(who));
    await mustSay(owner, g.id, 'one');
    await mustSay(owner, g.id, 'two');
    await mustSay(ann, g.id, 'three');
    expectNoContent(await call('POST', `${convPath(g.id)}/read`, ben, { seq: 1 }));
    await must(call('PATCH', convPath(g.id), owner, { title: 'Counted' }), 200, 'rename');
    const renamedFor = async (who) =>
      (await drain(who, start.get(who))).events.find((e) => e.type === 'conversation.updated').conversation;
    // Sending marks the conversation read up to one's own message: the owner has ann's one unread,
    // ann nothing, ben (who read up to 1) two.
    const views = { owner: await renamedFor(owner), ann: await renamedFor(ann), ben: await renamedFor(ben) };
    assert.deepEqual(Object.fromEntries(Object.entries(views).map(([k, v]) => [k, v.unread_count])), { owner: 1, ann: 0, ben: 2 });
    for (const v of Object.values(views)) {
      assert.equal(v.title, 'Counted');
      assert.equal(v.last_message.body, 'three');
      assert.equal(v.members.length, 3);
    }
    // The same count a fresh read of the conversation gives.
    for (const [who, name] of [[owner, 'owner'], [ann, 'ann'], [ben, 'ben']]) {
      const now = await must(call('GET', convPath(g.id), who), 200, 'get');
      assert.equal(now.unread_count, views[name].unread_count, name);
    }
  });

  test('a direct conversation: both sides get conversation.created and each message', async () => {
    const [alice, bob] = await users(2);
    const [a0, b0] = [await cursorOf(alice), await cursorOf(bob)];
    const dm = await mustDirect(alice, bob);
    const m1 = await mustSay(bob, dm.id, 'one');
    const m2 = await mustSay(alice, dm.id, 'two');
    const expected = [['conversation.created', dm.id, null], ['message.created', dm.id, 1], ['message.created', dm.id, 2]];
    const aliceEvents = (await drain(alice, a0)).events;
    assert.deepEqual(aliceEvents.map(describeEvent), expected);
    assert.deepEqual((await drain(bob, b0)).events.map(describeEvent), expected);
    assert.deepEqual(aliceEvents.slice(1).map((e) => e.message), [m1, m2]);
    assert.equal(aliceEvents[0].conversation.kind, 'direct');
  });

  test('joining with an invite code and leaving: member.added and member.removed reach the one who moved', async () => {
    const [owner, joiner] = await users(2);
    const g = await mustGroup(owner, []);
    const { code } = await must(call('POST', `${convPath(g.id)}/invite-code`, owner), 201, 'invite');
    const [o0, j0] = [await cursorOf(owner), await cursorOf(joiner)];
    await must(call('POST', '/api/v1/conversations/join', joiner, { code }), 200, 'join');
    // Joining again changes nothing, so no event.
    await must(call('POST', '/api/v1/conversations/join', joiner, { code }), 200, 'join again');
    expectNoContent(await call('DELETE', `${convPath(g.id)}/members/${joiner.user.id}`, joiner));
    const expected = [['member.added', g.id, joiner.user.id], ['member.removed', g.id, joiner.user.id]];
    assert.deepEqual((await drain(owner, o0)).events.map(describeEvent), expected);
    assert.deepEqual((await drain(joiner, j0)).events.map(describeEvent), expected);
  });

  test('leaving and joining again: a late device gets the messages of each stay, none from between', async () => {
    const [owner, joiner] = await users(2);
    const g = await mustGroup(owner, []);
    const { code } = await must(call('POST', `${convPath(g.id)}/invite-code`, owner), 201, 'invite');
    const j0 = await cursorOf(joiner);
    await mustSay(owner, g.id, 'before joining');
    await must(call('POST', '/api/v1/conversations/join', joiner, { code }), 200, 'join');
    await mustSay(owner, g.id, 'first stay');
    expectNoContent(await call('DELETE', `${convPath(g.id)}/members/${joiner.user.id}`, joiner));
    await mustSay(owner, g.id, 'while away');
    await must(call('POST', '/api/v1/conversations/join', joiner, { code }), 200, 'join again');
    await mustSay(owner, g.id, 'second stay');
    // The joiner's device syncs only now, from before it all.
    assert.deepEqual((await drain(joiner, j0)).events.map(describeEvent), [
      ['member.added', g.id, joiner.user.id], ['message.created', g.id, 2],
      ['member.removed', g.id, joiner.user.id], ['member.added', g.id, joiner.user.id], ['message.created', g.id, 4],
    ]);
  });

  test('read.updated wakes the reader\'s waiting poll, and nobody else\'s', async () => {
    const [alice, bob] = await users(2);
    const dm = await mustDirect(alice, bob);
    await mustSay(alice, dm.id, 'read me');
    const [aCursor, bCursor] = [await cursorOf(alice), await cursorOf(bob)];
    const bobWaits = poll(bob, bCursor, 10_000);
    const aliceWaits = poll(alice, aCursor, 1000);
    await sleep(200);
    expectNoContent(await call('POST', `${convPath(dm.id)}/read`, bob, { seq: 1 }));
    const page = assertPage(await bobWaits.promise);
    assert.ok(bobWaits.elapsed() < 5000);
    assert.deepEqual(page.events.map(describeEvent), [['read.updated', dm.id, null]]);
    assert.deepEqual(assertPage(await aliceWaits.promise).events, []);
    assert.ok(aliceWaits.elapsed() >= 950, `alice's poll answered after ${aliceWaits.elapsed()} ms`);
  });
});

describe('consecutive cursors', () => {
  test('many small syncs between sends: every event once, in order', async () => {
    const [alice, bob] = await users(2);
    const dm = await mustDirect(alice, bob);
    let cursor = await cursorOf(alice);
    const seen = [];
    for (let i = 1; i <= 30; i++) {
      await mustSay(i % 3 ? bob : alice, dm.id, `m${i}`);
      if (i % 4 === 0) {
        const page = assertPage(await sync(alice, { cursor, timeout_ms: '0' }));
        seen.push(...page.events);
        cursor = page.cursor;
      }
    }
    const rest = await drain(alice, cursor);
    seen.push(...rest.events);
    assert.deepEqual(seen.map((e) => e.message.seq), Array.from({ length: 30 }, (_, i) => i + 1));
    assert.equal(new Set(seen.map((e) => e.message.id)).size, 30);
  });

  test('a long log walked from its start: every event once, in order, the same as walked in steps', async () => {
    const [alice, bob] = await users(2);
    const start = await cursorOf(alice);
    const g = await mustGroup(bob, [alice]);
    for (let i = 1; i <= 250; i++) await mustSay(bob, g.id, `m${i}`);
    const pages = [];
    let cursor = start;
    for (let n = 0; n < 100; n++) {
      const page = assertPage(await sync(alice, { cursor, timeout_ms: '0' }));
      if (page.events.length === 0) break;
      pages.push(page.events);
      cursor = page.cursor;
    }
    const events = pages.flat();
    assert.deepEqual(events.map((e) => e.type), ['conversation.created', ...Array(250).fill('message.created')]);
    assert.deepEqual(events.slice(1).map((e) => e.message.seq), Array.from({ length: 250 }, (_, i) => i + 1));
    // Every cursor on the way yields exactly the rest of the log.
    let step = start;
    for (let i = 0; i < pages.length; i++) {
      const { events: restFromHere } = await drain(alice, step);
      assert.deepEqual(restFromHere, pages.slice(i).flat(), `from page ${i}`);
      step = assertPage(await sync(alice, { cursor: step, timeout_ms: '0' })).cursor;
    }
    assert.equal(step, cursor);
  });

  test('a poller that keeps polling while messages arrive one by one sees each once, in order', async () => {
    const [alice, bob] = await users(2);
    const dm = await mustDirect(alice, bob);
    let cursor = await cursorOf(bob);
    const seen = [];
    let done = false;
    const poller = (async () => {
      while (!done || seen.length < 40) {
        const page = assertPage(await sync(bob, { cursor, timeout_ms: '2000' }));
        seen.push(...page.events);
        cursor = page.cursor;
        if (done && page.events.length === 0) break;
      }
    })();
    for (let i = 1; i <= 40; i++) {
      await mustSay(alice, dm.id, `m${i}`);
      if (i % 5 === 0) await sleep(20);
    }
    done = true;
    await poller;
    assert.deepEqual(seen.map((e) => e.message.seq), Array.from({ length: 40 }, (_, i) => i + 1));
  });
});

// --- tests with their own server -------------------------------------------------------------
// Runs fn(launch); every server launch(opts) starts is stopped at the end, whatever happens.
async function withServers(fn) {
  const started = [];
  try {
    await fn(async (opts) => {
      const s = await start(opts);
      started.push(s);
      return s;
    });
  } finally {
    for (const s of started) await s.stop();
  }
}

const PRUNE_FAST = { env: { PARLEY_SYNC_RETENTION_S: '1', PARLEY_SYNC_PRUNE_INTERVAL_S: '1' } };

describe('own server', { skip: needsOwnServer }, () => {
  test('events survive a restart: an old cursor still works and yields only newer events', () => withServers(async (launch) => {
    let own = await launch();
    const [alice, bob] = await users(2, own.baseUrl);
    const c0 = await cursorOf(alice, own.baseUrl);
    const dm = await mustDirect(alice, bob, own.baseUrl);
    const m1 = await mustSay(bob, dm.id, 'before', own.baseUrl);
    const { cursor: c1 } = await drain(alice, c0, own.baseUrl);
    const m2 = await mustSay(bob, dm.id, 'just before the stop', own.baseUrl);
    assert.equal(await own.stop(), 0, own.output());

    own = await launch({ dataDir: own.dataDir });
    const at = own.baseUrl;
    const again = (await login(at, alice.user.username)).body;
    const { events: since1, cursor: c2 } = await drain(again, c1, at);
    assert.deepEqual(since1, [{ type: 'message.created', conversation_id: dm.id, message: m2 }]);
    const { events: since0 } = await drain(again, c0, at);
    assert.deepEqual(since0.map(describeEvent),
      [['conversation.created', dm.id, null], ['message.created', dm.id, 1], ['message.created', dm.id, 2]]);
    assert.deepEqual(since0[1].message, m1);
    assert.equal(await cursorOf(again, at), c2);
    // New events carry on after the old ones, and wake a poll.
    const bobAgain = (await login(at, bob.user.username)).body;
    const waiting = poll(again, c2, 10_000, at);
    await sleep(200);
    const m3 = await mustSay(bobAgain, dm.id, 'after the restart', at);
    assert.equal(m3.seq, 3);
    const page = assertPage(await waiting.promise);
    assert.deepEqual(page.events, [{ type: 'message.created', conversation_id: dm.id, message: m3 }]);
    assert.equal(await own.stop(), 0, own.output());
  }));

  test('a process started while the previous one still runs on the same data is refused', () => withServers(async (launch) => {
    // A restart that does not wait for the old process's exit used to run both on the same data
    // for a moment, each with its own in-memory state. The data directory is now locked by the
    // process that runs on it (issue #14, finding 9a): the second one stops at once, exit status 2,
    // naming the setting and the holder; the first serves on, unharmed.
    const old = await launch();
    const [alice, bob] = await users(2, old.baseUrl);
    const dm = await mustDirect(alice, bob, old.baseUrl);
    await assert.rejects(launch({ dataDir: old.dataDir }),
      /server exited before ready \(2\):[\s\S]*PARLEY_DATA_DIR[\s\S]*in use by another parley process \(pid \d+\)/);
    const cursor = await cursorOf(alice, old.baseUrl);
    const waiting = poll(alice, cursor, 8000, old.baseUrl);
    await sleep(200);
    const m = await mustSay(bob, dm.id, 'the first process still serves', old.baseUrl);
    const page = assertPage(await waiting.promise);
    assert.deepEqual(page.events, [{ type: 'message.created', conversation_id: dm.id, message: m }]);
    assert.equal(await old.stop(), 0, old.output());
    // Once it has exited, a process on the same data starts.
    const fresh = await launch({ dataDir: old.dataDir });
    assert.equal((await login(fresh.baseUrl, alice.user.username)).status, 200);
    assert.equal(await fresh.stop(), 0, fresh.output());
  }));

  test('pruned events: an old cursor answers 410 cursor_expired; a fresh sync works again', () => withServers(async (launch) => {
    const own = await launch(PRUNE_FAST);
    const at = own.baseUrl;
    const [alice, bob] = await users(2, at);
    const c0 = await cursorOf(alice, at);
    const dm = await mustDirect(alice, bob, at);
    await mustSay(bob, dm.id, 'soon pruned', at);
    await sleep(2500);
    // Retention 1 s, pruning every second: gone by now (a little slack for a busy machine).
    await eventually(async () => expectError(await sync(alice, { cursor: c0, timeout_ms: '0' }, at), 410, 'cursor_expired'), 3000);
    expectError(await sync(alice, { cursor: c0, timeout_ms: '5000' }, at), 410, 'cursor_expired');
    const fresh = await cursorOf(alice, at);
    assert.deepEqual(assertPage(await sync(alice, { cursor: fresh, timeout_ms: '0' }, at)), { cursor: fresh, events: [] });
    const m = await mustSay(bob, dm.id, 'after pruning', at);
    const { events } = await drain(alice, fresh, at);
    assert.deepEqual(events, [{ type: 'message.created', conversation_id: dm.id, message: m }]);
    assert.equal(await own.stop(), 0, own.output());
  }));

  test('after pruning, a cursor that had seen every event still works', () => withServers(async (launch) => {
    const own = await launch(PRUNE_FAST);
    const at = own.baseUrl;
    const [alice, bob] = await users(2, at);
    const dm = await mustDirect(alice, bob, at);
    await mustSay(bob, dm.id, 'soon pruned', at);
    const head = await cursorOf(alice, at);
    await sleep(3000);
    assert.deepEqual(assertPage(await sync(alice, { cursor: head, timeout_ms: '0' }, at)), { cursor: head, events: [] });
    const m = await mustSay(bob, dm.id, 'after pruning', at);
    assert.deepEqual((await drain(alice, head, at)).events, [{ type: 'message.created', conversation_id: dm.id, message: m }]);
    assert.equal(await own.stop(), 0, own.output());
  }));

  test('a graceful stop releases a waiting poll and exits 0', () => withServers(async (launch) => {
    const own = await launch();
    const at = own.baseUrl;
    const [alice] = await users(1, at);
    const cursor = await cursorOf(alice, at);
    const outcome = sync(alice, { cursor, timeout_ms: '30000' }, at).then(
      (res) => ({ res, at: Date.now() }),
      (err) => ({ err, at: Date.now() }),
    );
    await sleep(500);
    const stopping = Date.now();
    const code = await own.stop();
    const stopTook = Date.now() - stopping;
    const result = await outcome;
    assert.equal(code, 0, `exit code after SIGTERM; output:\n${own.output()}`);
    assert.ok(stopTook < 5000, `SIGTERM took ${stopTook} ms`);
    assert.ok(result.at - stopping < 5000, `the poll answered ${result.at - stopping} ms after SIGTERM`);
    // Either a 200 with no events, or the connection closed.
    if (result.res) assert.deepEqual(assertPage(result.res), { cursor, events: [] });
  }));
});
