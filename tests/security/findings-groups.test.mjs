// Regression tests for the findings of the outside security review (issue #14) about groups,
// blocks and names; each test is named after its finding. In the distributed stack blocks,
// contacts and dm_policy reach the messages service's replica by events, a little after the
// answer: the helpers wait for that state before testing what depends on it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  api, eventually, expectError, expectInvalid, login, registerUser, uniqueName, useApi, PASSWORD,
} from '../api/lib/harness.mjs';

const { base, call, users } = useApi();
const enc = encodeURIComponent;

const convPath = (id) => `/api/v1/conversations/${enc(id)}`;
const direct = (who, other) => call('POST', '/api/v1/conversations', who, { kind: 'direct', user_id: other.user.id });
const group = (who, members, title = 'Team') =>
  call('POST', '/api/v1/conversations', who, { kind: 'group', title, member_ids: members.map((m) => m.user.id) });
const addMember = (who, id, other) => call('POST', `${convPath(id)}/members`, who, { user_id: other.user.id });
const removeMember = (who, id, other) => call('DELETE', `${convPath(id)}/members/${enc(other.user.id)}`, who);
const inviteCode = (who, id) => call('POST', `${convPath(id)}/invite-code`, who);
const join = (who, code) => call('POST', '/api/v1/conversations/join', who, { code });
const say = (who, id, body) => call('POST', `${convPath(id)}/messages`, who, { body });
const history = (who, id) => call('GET', `${convPath(id)}/messages?limit=200`, who);
const rename = (who, id, title) => call('PATCH', convPath(id), who, { title });
const block = (who, other) => call('PUT', `/api/v1/blocks/${enc(other.user.id)}`, who);
const unblock = (who, other) => call('DELETE', `/api/v1/blocks/${enc(other.user.id)}`, who);
const requestTo = (from, to) => call('POST', '/api/v1/contacts/requests', from, { user_id: to.user.id });
const requests = (who, direction) => call('GET', `/api/v1/contacts/requests?direction=${direction}`, who);
const accept = (who, id) => call('POST', `/api/v1/contacts/requests/${enc(id)}/accept`, who);

async function expectStatus(res, status) {
  assert.equal(res.status, status, res.text);
  return res.body;
}
const conversationIds = async (who) =>
  (await expectStatus(await call('GET', '/api/v1/conversations?limit=200', who), 200)).items.map((c) => c.id);
// The groups the user is in (the helpers below open direct conversations of their own).
const groupIds = async (who) => (await expectStatus(await call('GET', '/api/v1/conversations?limit=200', who), 200))
  .items.filter((c) => c.kind === 'group').map((c) => c.id);

async function makeContacts(a, b) {
  const request = await expectStatus(await requestTo(a, b), 201);
  await expectStatus(await accept(b, request.id), 200);
}

// `blocker` blocks `blocked`, then a sentinel they share a direct conversation with; once the
// sentinel may no longer write there, the messages service has applied the first block too.
async function blockAndSettle(blocker, blocked) {
  const [sentinel] = await users(1);
  const dm = await expectStatus(await direct(sentinel, blocker), 201);
  assert.equal((await block(blocker, blocked)).status, 204);
  assert.equal((await block(blocker, sentinel)).status, 204);
  await eventually(async () => expectError(await say(sentinel, dm.id, 'still there?'), 403, 'permission_denied'));
}

// who's dm_policy becomes contacts, and the messages service has applied it.
async function contactsOnlyAndSettle(who) {
  const [sentinel] = await users(1);
  const dm = await expectStatus(await direct(sentinel, who), 201);
  await expectStatus(await call('PATCH', '/api/v1/users/me', who, { dm_policy: 'contacts' }), 200);
  await eventually(async () => expectError(await say(sentinel, dm.id, 'still there?'), 403, 'permission_denied'));
}

// The 403 for someone the caller may not put in a group: permission_denied naming them.
function expectRefusedMember(res, who) {
  const error = expectError(res, 403, 'permission_denied');
  assert.equal(error.details?.user_id, who.user.id, res.text);
}

describe('finding 3: blocks and dm_policy hold in groups', () => {
  test('3. a blocked user cannot create a group with the blocker in it: 403 naming them, nothing created', async () => {
    const [alice, bob, carol] = await users(3);
    await blockAndSettle(alice, bob);
    expectRefusedMember(await group(bob, [carol, alice]), alice);
    // Nor the blocker the blocked user: the direct rule holds both ways.
    expectRefusedMember(await group(alice, [bob]), bob);
    for (const who of [alice, bob, carol]) assert.deepEqual(await groupIds(who), []);
  });

  test('3. a blocked user cannot add the blocker to an existing group; the blocker never hears from them', async () => {
    const [alice, bob, carol] = await users(3);
    await blockAndSettle(alice, bob);
    const sync = await expectStatus(await call('GET', '/api/v1/sync', alice), 200);
    const g = await expectStatus(await group(bob, [carol]), 201);
    expectRefusedMember(await addMember(bob, g.id, alice), alice);
    await expectStatus(await say(bob, g.id, 'hello alice'), 201);
    assert.ok(!(await conversationIds(alice)).includes(g.id));
    const events = await expectStatus(await call('GET', `/api/v1/sync?cursor=${enc(sync.cursor)}&timeout_ms=200`, alice), 200);
    assert.deepEqual(events.events, []);
  });

  test('3. a stranger cannot add a contacts-only user to a group, at creation or later; a contact can', async () => {
    const [alice, bob, stranger] = await users(3);
    await contactsOnlyAndSettle(bob);
    expectRefusedMember(await group(stranger, [bob]), bob);
    const g = await expectStatus(await group(stranger, []), 201);
    expectRefusedMember(await addMember(stranger, g.id, bob), bob);
    assert.deepEqual((await expectStatus(await call('GET', convPath(g.id), stranger), 200)).members.map((m) => m.user_id),
      [stranger.user.id]);
    assert.deepEqual(await groupIds(bob), []);
    // The same answer the contract gives for a direct conversation.
    expectError(await direct(stranger, bob), 403, 'permission_denied');

    await makeContacts(alice, bob);
    const withBob = await eventually(async () => expectStatus(await group(alice, [bob]), 201));
    assert.ok(withBob.members.some((m) => m.user_id === bob.user.id));
  });

  test('3. several members, some refused: 403 naming the first refused in request order, nothing created', async () => {
    const [alice, blocker, contactsOnly, carol, dave] = await users(5);
    await blockAndSettle(blocker, alice);
    await contactsOnlyAndSettle(contactsOnly);
    const res = await group(alice, [carol, contactsOnly, dave, blocker]);
    expectRefusedMember(res, contactsOnly);
    expectRefusedMember(await group(alice, [blocker, carol, contactsOnly]), blocker);
    for (const who of [alice, blocker, contactsOnly, carol, dave]) assert.deepEqual(await groupIds(who), []);
  });

  test('3. joining by invite code stays open: a blocked user may join a group the blocker is in', async () => {
    const [alice, bob] = await users(2);
    await blockAndSettle(alice, bob);
    const g = await expectStatus(await group(alice, []), 201);
    const { code } = await expectStatus(await inviteCode(alice, g.id), 201);
    await expectStatus(await join(bob, code), 200);
  });
});

describe('finding 4: a removed member cannot rejoin by invite code', () => {
  test('4. a member removed by an admin cannot rejoin with the old code (403) nor read what follows', async () => {
    const [owner, admin, bob] = await users(3);
    const g = await expectStatus(await group(owner, [admin]), 201);
    const { code } = await expectStatus(await inviteCode(owner, g.id), 201);
    await expectStatus(await join(bob, code), 200);
    assert.equal((await removeMember(owner, g.id, bob)).status, 204);
    expectError(await join(bob, code), 403, 'permission_denied');
    await expectStatus(await say(owner, g.id, 'said after bob was removed'), 201);
    expectError(await history(bob, g.id), 404, 'not_found');
    // A new code does not let them in either: the removal is of the group, not of one code.
    const fresh = await expectStatus(await inviteCode(owner, g.id), 201);
    expectError(await join(bob, fresh.code), 403, 'permission_denied');
    assert.ok(!(await conversationIds(bob)).includes(g.id));
  });

  test('4. an owner or admin adding them back lifts it; leaving by oneself bans nothing', async () => {
    const [owner, bob] = await users(2);
    const g = await expectStatus(await group(owner, []), 201);
    const { code } = await expectStatus(await inviteCode(owner, g.id), 201);
    await expectStatus(await join(bob, code), 200);
    assert.equal((await removeMember(owner, g.id, bob)).status, 204);
    expectError(await join(bob, code), 403, 'permission_denied');
    await expectStatus(await addMember(owner, g.id, bob), 201);
    // Bob leaves by himself, and may come back with the code.
    assert.equal((await removeMember(bob, g.id, bob)).status, 204);
    await expectStatus(await join(bob, code), 200);
    await expectStatus(await say(bob, g.id, 'back'), 201);
  });
});

describe('finding 6: no invisible or direction-changing characters in names', () => {
  const stacked = `x${'\u0301'.repeat(5)}`;
  const bad = [
    ['U+202E RIGHT-TO-LEFT OVERRIDE', 'evil\u202Etxt'],
    ['U+200B ZERO WIDTH SPACE', 'ad\u200Bmin'],
    ['U+FEFF BYTE ORDER MARK', '\uFEFFbob'],
    ['U+3164 HANGUL FILLER alone', '\u3164'],
    ['U+115F HANGUL CHOSEONG FILLER', 'a\u115F'],
    ['U+FFA0 HALFWIDTH HANGUL FILLER', 'a\uFFA0'],
    ['a tag character', 'a\u{E0041}'],
    ['five stacked combining marks', stacked],
    ['only U+2800 BRAILLE PATTERN BLANK', '\u2800'],
  ];

  for (const [why, name] of bad) {
    test(`6. register refuses a display_name with ${why}: 400 naming display_name, no account`, async () => {
      const username = uniqueName();
      const res = await api(base(), 'POST', '/api/v1/auth/register', {
        body: { username, email: `${username}@example.test`, password: PASSWORD, display_name: name },
      });
      expectInvalid(res, 'display_name');
      expectError(await login(base(), username), 401, 'invalid_credentials');
    });
  }

  test('6. PATCH /users/me refuses each such display_name and changes nothing', async () => {
    const [alice] = await users(1);
    const before = await expectStatus(await call('GET', '/api/v1/users/me', alice), 200);
    for (const [why, name] of bad) {
      const res = await call('PATCH', '/api/v1/users/me', alice, { display_name: name, bio: 'changed' });
      expectInvalid(res, 'display_name');
      assert.ok(res.status === 400, why);
    }
    assert.deepEqual(await expectStatus(await call('GET', '/api/v1/users/me', alice), 200), before);
  });

  test('6. group titles: refused on create and rename (400 naming title), nothing changed', async () => {
    const [alice] = await users(1);
    const g = await expectStatus(await group(alice, [], 'Plain'), 201);
    for (const [, title] of bad) {
      expectInvalid(await group(alice, [], title), 'title');
      expectInvalid(await rename(alice, g.id, title), 'title');
    }
    assert.deepEqual(await conversationIds(alice), [g.id]);
    assert.equal((await expectStatus(await call('GET', convPath(g.id), alice), 200)).title, 'Plain');
  });

  test('6. names are NFC-normalized; real-world names and emoji stay accepted', async () => {
    const user = await registerUser(base(), { display_name: 'Rene\u0301e' });
    assert.equal(user.user.display_name, 'Ren\u00E9e');
    const patched = await expectStatus(
      await call('PATCH', '/api/v1/users/me', user, { display_name: 'Zoe\u0308 \u2764\uFE0F \u{1F468}\u200D\u{1F469}\u200D\u{1F467}' }), 200);
    assert.equal(patched.display_name, 'Zo\u00EB \u2764\uFE0F \u{1F468}\u200D\u{1F469}\u200D\u{1F467}');
    const g = await expectStatus(await group(user, [], 'Cafe\u0301 \u4F60\u597D \u0639\u0644\u064A'), 201);
    assert.equal(g.title, 'Caf\u00E9 \u4F60\u597D \u0639\u0644\u064A');
  });

  test('6. emails: the local part must be ASCII, no invisible characters anywhere (400 naming email)', async () => {
    for (const email of ['b\u00F6b@example.test', 'bob\u202E@example.test', '\u200Bbob@example.test',
      'bob@exa\u200Bmple.test']) {
      const username = uniqueName();
      const res = await api(base(), 'POST', '/api/v1/auth/register', { body: { username, email, password: PASSWORD } });
      expectInvalid(res, 'email');
      expectError(await login(base(), username), 401, 'invalid_credentials');
    }
  });

  test('6. message bodies stay free text', async () => {
    const [alice] = await users(1);
    const g = await expectStatus(await group(alice, []), 201);
    const body = 'evil\u202Etxt \u200B \u3164';
    assert.equal((await expectStatus(await say(alice, g.id, body), 201)).body, body);
  });
});

describe('finding 9b: an unblock leaves no request stuck', () => {
  test('9b. a request hidden by a block is dropped on unblock: the sender may ask again and is seen', async () => {
    const [alice, bob] = await users(2);
    assert.equal((await block(alice, bob)).status, 204);
    const hidden = await expectStatus(await requestTo(bob, alice), 201);
    assert.deepEqual((await expectStatus(await requests(alice, 'incoming'), 200)).items, []);
    assert.equal((await unblock(alice, bob)).status, 204);
    // Gone from bob's outgoing list, and never shown to alice.
    assert.deepEqual((await expectStatus(await requests(bob, 'outgoing'), 200)).items, []);
    assert.deepEqual((await expectStatus(await requests(alice, 'incoming'), 200)).items, []);
    expectError(await accept(alice, hidden.id), 404, 'not_found');
    // Asking again is no longer 409: alice sees the new request and may accept it.
    const again = await expectStatus(await requestTo(bob, alice), 201);
    assert.deepEqual((await expectStatus(await requests(alice, 'incoming'), 200)).items.map((r) => r.id), [again.id]);
    await expectStatus(await accept(alice, again.id), 200);
  });

  test('9b. a request sent before the block, hidden by it, is dropped on unblock too', async () => {
    const [alice, bob] = await users(2);
    const before = await expectStatus(await requestTo(bob, alice), 201);
    assert.equal((await block(alice, bob)).status, 204);
    // While blocked, nothing tells bob: his request still looks pending.
    assert.deepEqual((await expectStatus(await requests(bob, 'outgoing'), 200)).items.map((r) => r.id), [before.id]);
    assert.equal((await unblock(alice, bob)).status, 204);
    assert.deepEqual((await expectStatus(await requests(bob, 'outgoing'), 200)).items, []);
    await expectStatus(await requestTo(bob, alice), 201);
    assert.equal((await expectStatus(await requests(alice, 'incoming'), 200)).items.length, 1);
  });
});
