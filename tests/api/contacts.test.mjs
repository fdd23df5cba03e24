// ContactService: contact requests (send, list, accept, decline, cancel), contacts and blocks;
// how blocking stays invisible to the blocked user; profile changes, account deletion,
// concurrent calls and hostile ids.
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import {
  PASSWORD, allPages, api, eventually, expectError, expectInvalid, NO_SUCH_ID, TIMESTAMP, uniqueName, useApi,
} from './lib/harness.mjs';

const { base, call, users } = useApi();
const enc = encodeURIComponent;

// A user's public profile as others see it; a fresh account has an empty bio.
const profileOf = ({ user }) => ({
  id: user.id, username: user.username, display_name: user.display_name, bio: '', created_at: user.created_at,
});

// --- the routes -----------------------------------------------------------------------------
const sendRequest = (from, body) => call('POST', '/api/v1/contacts/requests', from, body);
const requestTo = (from, to) => sendRequest(from, { username: to.user.username });
const accept = (who, id) => call('POST', `/api/v1/contacts/requests/${enc(id)}/accept`, who);
const decline = (who, id) => call('POST', `/api/v1/contacts/requests/${enc(id)}/decline`, who);
const cancel = (who, id) => call('DELETE', `/api/v1/contacts/requests/${enc(id)}`, who);
const removeContact = (who, userId) => call('DELETE', `/api/v1/contacts/${enc(userId)}`, who);
const block = (who, userId) => call('PUT', `/api/v1/blocks/${enc(userId)}`, who);
const unblock = (who, userId) => call('DELETE', `/api/v1/blocks/${enc(userId)}`, who);
const listPage = (who, path, params = {}) => call('GET', `${path}?${new URLSearchParams(params)}`, who);

// Whole lists, every page followed.
const withCursor = (params, cursor) => (cursor ? { ...params, cursor } : params);
const requestsList = (who, direction) => allPages((cursor) =>
  listPage(who, '/api/v1/contacts/requests', withCursor({ direction }, cursor)));
const incoming = (who) => requestsList(who, 'incoming');
const outgoing = (who) => requestsList(who, 'outgoing');
const contactsOf = (who) => allPages((cursor) => listPage(who, '/api/v1/contacts', withCursor({}, cursor)));
const blocksOf = (who) => allPages((cursor) => listPage(who, '/api/v1/blocks', withCursor({}, cursor)));
const userIds = (items) => items.map((item) => item.user.id);
const ids = (items) => items.map((item) => item.id);

// Sends a request that must succeed; returns the 201 body.
async function mustRequest(from, to) {
  const res = await requestTo(from, to);
  assert.equal(res.status, 201, `request ${from.user.username} -> ${to.user.username}: ${res.status} ${res.text}`);
  return res.body;
}

// Makes a and b contacts (a asks, b accepts); returns the accept's 200 body.
async function makeContacts(a, b) {
  const request = await mustRequest(a, b);
  const res = await accept(b, request.id);
  assert.equal(res.status, 200, `accept: ${res.text}`);
  return res.body;
}

function expectNoContent(res) {
  assert.equal(res.status, 204, res.text);
  assert.equal(res.text, '');
}

// Asserts a 201/list item is a pending request from `from` to `to`.
function assertRequest(request, from, to) {
  assert.deepEqual(Object.keys(request).sort(), ['created_at', 'from_user', 'id', 'status', 'to_user']);
  assert.equal(typeof request.id, 'string');
  assert.ok(request.id.length > 0);
  assert.deepEqual(request.from_user, profileOf(from));
  assert.deepEqual(request.to_user, profileOf(to));
  assert.equal(request.status, 'pending');
  assert.match(request.created_at, TIMESTAMP);
}

// Asserts a contacts/blocks list item {user, since} for `other`.
function assertEntry(entry, other) {
  assert.deepEqual(Object.keys(entry).sort(), ['since', 'user']);
  assert.deepEqual(entry.user, profileOf(other));
  assert.match(entry.since, TIMESTAMP);
}

// The test that only one side of a pending request may answer it (accept, decline or cancel):
// the other side gets 403 permission_denied, a third user and ids that name no request 404, and
// afterwards the request is still pending on both sides and nobody has a contact.
function onlyTheRightSideAnswers(answer, rightSide) {
  const wrongSide = rightSide === 'recipient' ? 'sender' : 'recipient';
  test(`the ${wrongSide} answers 403 permission_denied; anyone else and unknown ids 404`, async () => {
    const [alice, bob, carol] = await users(3);
    const request = await mustRequest(alice, bob);
    const [right, wrong] = rightSide === 'recipient' ? [bob, alice] : [alice, bob];
    expectError(await answer(wrong, request.id), 403, 'permission_denied');
    expectError(await answer(carol, request.id), 404, 'not_found');
    for (const id of [NO_SUCH_ID, 'nonsense', bob.user.id]) expectError(await answer(right, id), 404, 'not_found');
    assert.deepEqual(await incoming(bob), [request]);
    assert.deepEqual(await outgoing(alice), [request]);
    for (const who of [alice, bob, carol]) assert.deepEqual(await contactsOf(who), [], `${who.user.username} contacts`);
  });
}

describe('authentication', () => {
  const routes = [
    ['POST', '/api/v1/contacts/requests', { username: 'someone' }],
    ['GET', '/api/v1/contacts/requests'],
    ['GET', '/api/v1/contacts/requests?direction=outgoing'],
    ['POST', `/api/v1/contacts/requests/${NO_SUCH_ID}/accept`],
    ['POST', `/api/v1/contacts/requests/${NO_SUCH_ID}/decline`],
    ['DELETE', `/api/v1/contacts/requests/${NO_SUCH_ID}`],
    ['GET', '/api/v1/contacts'],
    ['DELETE', `/api/v1/contacts/${NO_SUCH_ID}`],
    ['GET', '/api/v1/blocks'],
    ['PUT', `/api/v1/blocks/${NO_SUCH_ID}`],
    ['DELETE', `/api/v1/blocks/${NO_SUCH_ID}`],
  ];
  for (const [name, token] of [['no', undefined], ['a garbage', 'garbage']]) {
    test(`${name} token answers 401 on every route`, async () => {
      for (const [method, path, body] of routes) {
        const res = await api(base(), method, path, { token, body });
        expectError(res, 401, 'unauthenticated');
      }
    });
  }
});

describe('sending a request', () => {
  test('by username: 201 with both profiles, and it shows in both pending lists', async () => {
    const [alice, bob] = await users(2);
    const res = await requestTo(alice, bob);
    assert.equal(res.status, 201, res.text);
    assertRequest(res.body, alice, bob);
    assert.deepEqual(await outgoing(alice), [res.body]);
    assert.deepEqual(await incoming(bob), [res.body]);
    assert.deepEqual(await incoming(alice), []);
    assert.deepEqual(await outgoing(bob), []);
    // Without direction, the incoming list.
    const byDefault = await listPage(bob, '/api/v1/contacts/requests');
    assert.equal(byDefault.status, 200, byDefault.text);
    assert.deepEqual(byDefault.body, { items: [res.body], next_cursor: null });
  });

  test('by user_id', async () => {
    const [alice, bob] = await users(2);
    const res = await sendRequest(alice, { user_id: bob.user.id });
    assert.equal(res.status, 201, res.text);
    assertRequest(res.body, alice, bob);
    assert.deepEqual(await incoming(bob), [res.body]);
  });

  test('the username is matched case-insensitively', async () => {
    const [alice, bob] = await users(2);
    const res = await sendRequest(alice, { username: bob.user.username.toUpperCase() });
    assert.equal(res.status, 201, res.text);
    assertRequest(res.body, alice, bob);
  });

  const invalid = [
    ['both username and user_id', (b) => ({ username: b.user.username, user_id: b.user.id }), null],
    ['neither username nor user_id', () => ({}), null],
    ['an unknown field', (b) => ({ username: b.user.username, message: 'hi' }), 'message'],
    ['a username that is not a string', () => ({ username: 5 }), 'username'],
    ['a null username', () => ({ username: null }), 'username'],
    ['a user_id that is not a string', () => ({ user_id: ['x'] }), 'user_id'],
  ];
  for (const [name, makeBody, field] of invalid) {
    test(`${name} answers 400 invalid_argument and sends nothing`, async () => {
      const [alice, bob] = await users(2);
      const res = await sendRequest(alice, makeBody(bob));
      if (field) expectInvalid(res, field);
      else expectError(res, 400, 'invalid_argument');
      assert.deepEqual(await outgoing(alice), []);
      assert.deepEqual(await incoming(bob), []);
    });
  }

  test('a body that is not an object or not JSON answers 400', async () => {
    const [alice] = await users(1);
    const post = (rawBody) => api(base(), 'POST', '/api/v1/contacts/requests', { token: alice.access_token, rawBody });
    for (const rawBody of ['[]', '"bob"', 'null']) expectError(await post(rawBody), 400, 'invalid_argument');
    expectError(await post('{"username": '), 400, 'malformed_json');
  });

  test('to no such user answers 404', async () => {
    const [alice] = await users(1);
    expectError(await sendRequest(alice, { username: uniqueName('nobody') }), 404, 'not_found');
    expectError(await sendRequest(alice, { user_id: NO_SUCH_ID }), 404, 'not_found');
    assert.deepEqual(await outgoing(alice), []);
  });

  test('to yourself answers 400 invalid_argument', async () => {
    const [alice] = await users(1);
    expectError(await sendRequest(alice, { username: alice.user.username }), 400, 'invalid_argument');
    expectError(await sendRequest(alice, { user_id: alice.user.id }), 400, 'invalid_argument');
    assert.deepEqual(await outgoing(alice), []);
    assert.deepEqual(await incoming(alice), []);
  });

  test('again while the first is pending answers 409 request_pending', async () => {
    const [alice, bob] = await users(2);
    const first = await mustRequest(alice, bob);
    expectError(await requestTo(alice, bob), 409, 'request_pending');
    expectError(await sendRequest(alice, { user_id: bob.user.id }), 409, 'request_pending');
    assert.deepEqual(await outgoing(alice), [first]);
    assert.deepEqual(await incoming(bob), [first]);
  });

  test('to a contact answers 409 already_contacts, from either side', async () => {
    const [alice, bob] = await users(2);
    await makeContacts(alice, bob);
    expectError(await requestTo(alice, bob), 409, 'already_contacts');
    expectError(await requestTo(bob, alice), 409, 'already_contacts');
    for (const who of [alice, bob]) {
      assert.deepEqual(await outgoing(who), []);
      assert.deepEqual(await incoming(who), []);
    }
  });

  test('to someone you blocked answers 409 blocked', async () => {
    const [alice, bob] = await users(2);
    expectNoContent(await block(alice, bob.user.id));
    expectError(await requestTo(alice, bob), 409, 'blocked');
    expectError(await sendRequest(alice, { user_id: bob.user.id }), 409, 'blocked');
    assert.deepEqual(await outgoing(alice), []);
    assert.deepEqual(await incoming(bob), []);
    // After unblocking, it goes through.
    expectNoContent(await unblock(alice, bob.user.id));
    await mustRequest(alice, bob);
  });

  test('after removing a contact, a new request goes through', async () => {
    const [alice, bob] = await users(2);
    await makeContacts(alice, bob);
    expectNoContent(await removeContact(alice, bob.user.id));
    const again = await mustRequest(bob, alice);
    assert.deepEqual(await incoming(alice), [again]);
  });

  for (const which of ['the first', 'the second']) {
    test(`crossed requests: both pending; accepting ${which} makes exactly one contact`, async () => {
      const [alice, bob] = await users(2);
      const fromBob = await mustRequest(bob, alice);
      const fromAlice = await mustRequest(alice, bob); // bob already asked: still 201
      assertRequest(fromAlice, alice, bob);
      assert.deepEqual(await incoming(alice), [fromBob]);
      assert.deepEqual(await outgoing(alice), [fromAlice]);
      assert.deepEqual(await incoming(bob), [fromAlice]);
      assert.deepEqual(await outgoing(bob), [fromBob]);

      const res = which === 'the first' ? await accept(alice, fromBob.id) : await accept(bob, fromAlice.id);
      assert.equal(res.status, 200, res.text);
      const [aliceContacts, bobContacts] = [await contactsOf(alice), await contactsOf(bob)];
      assert.deepEqual(userIds(aliceContacts), [bob.user.id]);
      assert.deepEqual(userIds(bobContacts), [alice.user.id]);
      for (const who of [alice, bob]) {
        assert.deepEqual(await incoming(who), [], `${who.user.username} incoming`);
        assert.deepEqual(await outgoing(who), [], `${who.user.username} outgoing`);
      }
    });
  }
});

describe('listing requests', () => {
  test('an unknown direction answers 400 naming direction', async () => {
    const [alice] = await users(1);
    for (const direction of ['sideways', 'Incoming', 'OUTGOING', 'both']) {
      expectInvalid(await listPage(alice, '/api/v1/contacts/requests', { direction }), 'direction');
    }
  });

  test('an empty direction answers 400 naming direction', async () => {
    const [alice] = await users(1);
    expectInvalid(await listPage(alice, '/api/v1/contacts/requests', { direction: '' }), 'direction');
  });

  test('only pending requests, newest first', async () => {
    const [owner, ...others] = await users(6);
    // Incoming from others[0..4], in this order; then three of them are settled.
    const sent = [];
    for (const other of others) sent.push(await mustRequest(other, owner));
    const listed = await incoming(owner);
    assert.deepEqual(ids(listed), ids(sent).reverse());
    listed.forEach((request, i) => assertRequest(request, others[4 - i], owner));

    assert.equal((await accept(owner, sent[1].id)).status, 200);
    expectNoContent(await decline(owner, sent[2].id));
    expectNoContent(await cancel(others[3], sent[3].id));
    assert.deepEqual(ids(await incoming(owner)), [sent[4].id, sent[0].id]);

    // Outgoing, newest first.
    const mine = [];
    for (const other of [others[0], others[2], others[3]]) mine.push(await mustRequest(owner, other));
    assert.deepEqual(ids(await outgoing(owner)), ids(mine).reverse());
  });
});

describe('paging', () => {
  // owner receives from each of five; asker asks each of five; friend is a contact of each of
  // five; blocker blocks each of five.
  let five; // ordered by username
  let owner;
  let asker;
  let friend;
  let blocker;
  before(async () => {
    [owner, asker, friend, blocker, ...five] = await users(9);
    five.sort((a, b) => a.user.username.localeCompare(b.user.username));
    for (const u of five) {
      await mustRequest(u, owner);
      await mustRequest(asker, u);
      await makeContacts(friend, u);
      expectNoContent(await block(blocker, u.user.id));
    }
  });

  // Pages of `limit` through path(params); returns the pages' items.
  async function pages(who, path, params, limit) {
    const result = [];
    let cursor;
    for (let n = 0; n < 10; n++) {
      const res = await listPage(who, path, { ...params, limit: String(limit), ...(cursor && { cursor }) });
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(Object.keys(res.body).sort(), ['items', 'next_cursor']);
      assert.ok(res.body.items.length <= limit, `page of ${res.body.items.length} > ${limit}`);
      result.push(res.body.items);
      cursor = res.body.next_cursor;
      if (cursor === null) return result;
      assert.equal(typeof cursor, 'string');
    }
    return assert.fail('paging did not end');
  }

  const lists = {
    'incoming requests': () => [owner, '/api/v1/contacts/requests', { direction: 'incoming' }],
    'outgoing requests': () => [asker, '/api/v1/contacts/requests', { direction: 'outgoing' }],
    contacts: () => [friend, '/api/v1/contacts', {}],
    blocks: () => [blocker, '/api/v1/blocks', {}],
  };
  for (const [name, args] of Object.entries(lists)) {
    test(`${name}: limit 2 pages through every item once, in the unpaged order`, async () => {
      const [who, path, params] = args();
      const whole = await pages(who, path, params, 200);
      assert.equal(whole.length, 1);
      assert.equal(whole[0].length, 5);
      const paged = await pages(who, path, params, 2);
      assert.deepEqual(paged.map((p) => p.length), [2, 2, 1]);
      assert.deepEqual(paged.flat(), whole[0]);
    });

    test(`${name}: limit above 200 is clamped; 0, negative or non-numeric answer 400`, async () => {
      const [who, path, params] = args();
      const res = await listPage(who, path, { ...params, limit: '1000' });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.body.items.length, 5);
      for (const limit of ['0', '-1', 'ten', '2x']) expectInvalid(await listPage(who, path, { ...params, limit }), 'limit');
    });
  }

  test('contacts are ordered by username, blocks list every blocked user', async () => {
    const contacts = await contactsOf(friend);
    assert.deepEqual(userIds(contacts), five.map((u) => u.user.id));
    contacts.forEach((entry, i) => assertEntry(entry, five[i]));
    const blocked = await blocksOf(blocker);
    assert.deepEqual(userIds(blocked).sort(), five.map((u) => u.user.id).sort());
    for (const entry of blocked) assertEntry(entry, five.find((u) => u.user.id === entry.user.id));
  });

  test('every list defaults to 50 items a page', async () => {
    const [hub, ...crowd] = await users(52);
    for (const u of crowd) await mustRequest(u, hub);
    const checkDefault = async (path, params) => {
      const first = await listPage(hub, path, params);
      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.items.length, 50, path);
      assert.equal(typeof first.body.next_cursor, 'string');
      const second = await listPage(hub, path, { ...params, cursor: first.body.next_cursor });
      assert.equal(second.status, 200, second.text);
      assert.equal(second.body.items.length, 1);
      assert.equal(second.body.next_cursor, null);
      const all = [...first.body.items, ...second.body.items];
      assert.equal(new Set(all.map((item) => item.id ?? item.user.id)).size, 51, 'repeats across pages');
    };
    await checkDefault('/api/v1/contacts/requests', { direction: 'incoming' });
    for (const request of await incoming(hub)) assert.equal((await accept(hub, request.id)).status, 200);
    await checkDefault('/api/v1/contacts', {});
    for (const u of crowd) expectNoContent(await block(hub, u.user.id));
    await checkDefault('/api/v1/blocks', {});
  });
});

describe('accepting', () => {
  test('the recipient accepts: 200 {user, since}; both sides see the contact; the request is gone', async () => {
    const [alice, bob] = await users(2);
    const request = await mustRequest(alice, bob);
    const res = await accept(bob, request.id);
    assert.equal(res.status, 200, res.text);
    assertEntry(res.body, alice);
    const [aliceContacts, bobContacts] = [await contactsOf(alice), await contactsOf(bob)];
    assert.deepEqual(bobContacts, [res.body]);
    assert.equal(aliceContacts.length, 1);
    assertEntry(aliceContacts[0], bob);
    assert.equal(aliceContacts[0].since, res.body.since);
    assert.deepEqual(await outgoing(alice), []);
    assert.deepEqual(await incoming(bob), []);
  });

  test('again, while still contacts: 200 with the same contact', async () => {
    const [alice, bob] = await users(2);
    const request = await mustRequest(alice, bob);
    const first = await accept(bob, request.id);
    assert.equal(first.status, 200, first.text);
    const again = await accept(bob, request.id);
    assert.equal(again.status, 200, again.text);
    assert.deepEqual(again.body, first.body);
    assert.equal((await contactsOf(bob)).length, 1);
    assert.equal((await contactsOf(alice)).length, 1);
  });

  onlyTheRightSideAnswers(accept, 'recipient');

  test('a declined or cancelled request answers 404', async () => {
    const [alice, bob, carol] = await users(3);
    const declined = await mustRequest(alice, bob);
    expectNoContent(await decline(bob, declined.id));
    expectError(await accept(bob, declined.id), 404, 'not_found');
    const cancelled = await mustRequest(carol, bob);
    expectNoContent(await cancel(carol, cancelled.id));
    expectError(await accept(bob, cancelled.id), 404, 'not_found');
    assert.deepEqual(await contactsOf(bob), []);
  });
});

describe('declining', () => {
  test('the recipient declines: 204; gone from both lists; no contact', async () => {
    const [alice, bob] = await users(2);
    const request = await mustRequest(alice, bob);
    expectNoContent(await decline(bob, request.id));
    assert.deepEqual(await incoming(bob), []);
    assert.deepEqual(await outgoing(alice), []);
    assert.deepEqual(await contactsOf(alice), []);
    assert.deepEqual(await contactsOf(bob), []);
    expectError(await decline(bob, request.id), 404, 'not_found');
  });

  onlyTheRightSideAnswers(decline, 'recipient');
});

describe('cancelling', () => {
  test('the sender cancels: 204; gone from both lists', async () => {
    const [alice, bob] = await users(2);
    const request = await mustRequest(alice, bob);
    expectNoContent(await cancel(alice, request.id));
    assert.deepEqual(await outgoing(alice), []);
    assert.deepEqual(await incoming(bob), []);
    expectError(await cancel(alice, request.id), 404, 'not_found');
    // A new request is possible.
    await mustRequest(alice, bob);
  });

  onlyTheRightSideAnswers(cancel, 'sender');
});

describe('contacts', () => {
  test('removing: 204 and gone for both sides; again, or a stranger, 404', async () => {
    const [alice, bob, carol] = await users(3);
    await makeContacts(alice, bob);
    await makeContacts(alice, carol);
    expectNoContent(await removeContact(bob, alice.user.id)); // either side may remove
    assert.deepEqual(userIds(await contactsOf(alice)), [carol.user.id]);
    assert.deepEqual(await contactsOf(bob), []);
    expectError(await removeContact(bob, alice.user.id), 404, 'not_found');
    expectError(await removeContact(alice, bob.user.id), 404, 'not_found');
    expectError(await removeContact(bob, carol.user.id), 404, 'not_found');
    for (const id of [NO_SUCH_ID, 'nonsense']) expectError(await removeContact(alice, id), 404, 'not_found');
    assert.deepEqual(userIds(await contactsOf(carol)), [alice.user.id]);
  });

  test("a contact's new display name shows in the other side's list", async () => {
    const [alice, bob] = await users(2);
    await makeContacts(alice, bob);
    const patch = await api(base(), 'PATCH', '/api/v1/users/me', {
      token: bob.access_token, body: { display_name: 'Bob Renamed' },
    });
    assert.equal(patch.status, 200, patch.text);
    await eventually(async () => {
      const [entry] = await contactsOf(alice);
      assert.equal(entry.user.display_name, 'Bob Renamed');
    });
  });
});

describe('blocks', () => {
  test('block: 204, listed with {user, since}; again 204 and still listed once', async () => {
    const [alice, bob] = await users(2);
    expectNoContent(await block(alice, bob.user.id));
    const [entry, ...rest] = await blocksOf(alice);
    assert.deepEqual(rest, []);
    assertEntry(entry, bob);
    expectNoContent(await block(alice, bob.user.id));
    assert.deepEqual(userIds(await blocksOf(alice)), [bob.user.id]);
    assert.deepEqual(await blocksOf(bob), []);
  });

  test('blocking no such user answers 404, yourself 400', async () => {
    const [alice] = await users(1);
    for (const id of [NO_SUCH_ID, 'nonsense']) expectError(await block(alice, id), 404, 'not_found');
    expectError(await block(alice, alice.user.id), 400, 'invalid_argument');
    assert.deepEqual(await blocksOf(alice), []);
  });

  test('unblock: 204 and no longer listed; someone not blocked 404', async () => {
    const [alice, bob, carol] = await users(3);
    expectNoContent(await block(alice, bob.user.id));
    expectError(await unblock(alice, carol.user.id), 404, 'not_found');
    expectError(await unblock(bob, alice.user.id), 404, 'not_found'); // the other direction
    expectNoContent(await unblock(alice, bob.user.id));
    assert.deepEqual(await blocksOf(alice), []);
    expectError(await unblock(alice, bob.user.id), 404, 'not_found');
    expectError(await unblock(alice, NO_SUCH_ID), 404, 'not_found');
  });

  test('blocking removes the contact for both sides', async () => {
    const [alice, bob] = await users(2);
    await makeContacts(alice, bob);
    expectNoContent(await block(alice, bob.user.id));
    assert.deepEqual(await contactsOf(alice), []);
    assert.deepEqual(await contactsOf(bob), []);
  });

  test("blocking cancels the blocker's pending request to the blocked user", async () => {
    const [alice, bob] = await users(2);
    const request = await mustRequest(alice, bob);
    expectNoContent(await block(alice, bob.user.id));
    assert.deepEqual(await outgoing(alice), []);
    assert.deepEqual(await incoming(bob), []);
    expectError(await accept(bob, request.id), 404, 'not_found');
  });

  test("the blocked user's requests vanish for the blocker but stay pending for the blocked user", async () => {
    const [alice, bob] = await users(2);
    const before = await mustRequest(bob, alice);
    expectNoContent(await block(alice, bob.user.id));
    assert.deepEqual(await incoming(alice), []);
    assert.deepEqual(await outgoing(bob), [before]);
    expectError(await accept(alice, before.id), 404, 'not_found');
    expectError(await decline(alice, before.id), 404, 'not_found');

    // A new one after the block: 201, pending for bob, invisible and unacceptable for alice.
    expectNoContent(await cancel(bob, before.id));
    const after = await requestTo(bob, alice);
    assert.equal(after.status, 201, after.text);
    assertRequest(after.body, bob, alice);
    assert.deepEqual(await outgoing(bob), [after.body]);
    assert.deepEqual(await incoming(alice), []);
    expectError(await accept(alice, after.body.id), 404, 'not_found');
    assert.deepEqual(await contactsOf(alice), []);
    assert.deepEqual(await contactsOf(bob), []);
    assert.deepEqual(await outgoing(bob), [after.body]);
  });

  // Before issue #14 (finding 9b) the hidden request stayed pending for ever: bob got 409 on
  // asking again and alice never saw it. Now what was asked while blocked is dropped on unblock.
  test('unblocking restores no contact and drops the hidden requests: the blocked user may ask again', async () => {
    const [alice, bob] = await users(2);
    await makeContacts(alice, bob);
    expectNoContent(await block(alice, bob.user.id));
    const hidden = await mustRequest(bob, alice);
    expectNoContent(await unblock(alice, bob.user.id));
    assert.deepEqual(await contactsOf(alice), []);
    assert.deepEqual(await contactsOf(bob), []);
    assert.deepEqual(await incoming(alice), []);
    assert.deepEqual(await outgoing(bob), []);
    expectError(await accept(alice, hidden.id), 404, 'not_found');
  });
});

// The blocked user must not be able to tell: every answer they get is compared with the answer a
// user who is not blocked gets in the same situation.
describe('a block is invisible to the blocked user', () => {
  // The answer with what is specific to its user scrubbed: the user's own id and name, ids of
  // requests (key "id"), times and error messages.
  function view(res, subject) {
    const own = new Map([[subject.user.id, '<me>'], [subject.user.username, '<my name>']]);
    const scrub = (value, key) => {
      if (Array.isArray(value)) return value.map((v) => scrub(v));
      if (value && typeof value === 'object') {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v, k)]));
      }
      if (typeof value !== 'string') return value;
      if (own.has(value)) return own.get(value);
      if (key === 'id') return '<id>';
      if (key === 'message') return '<message>';
      if (TIMESTAMP.test(value)) return '<time>';
      return value;
    };
    return { status: res.status, body: scrub(res.body) };
  }

  // Runs step(user) for the blocked user, then for the control user; their views must be equal.
  async function same(blocked, control, step) {
    const got = view(await step(blocked), blocked);
    const expected = view(await step(control), control);
    assert.deepEqual(got, expected);
    return got;
  }

  const listFor = (direction) => (u) => listPage(u, '/api/v1/contacts/requests', { direction });

  test('requests sent to the blocker', async () => {
    const [alice, blocked, control] = await users(3);
    const earlier = new Map([[blocked, await mustRequest(blocked, alice)], [control, await mustRequest(control, alice)]]);
    expectNoContent(await block(alice, blocked.user.id));

    await same(blocked, control, listFor('outgoing'));
    await same(blocked, control, (u) => requestTo(u, alice)); // 409 request_pending
    await same(blocked, control, (u) => sendRequest(u, { user_id: alice.user.id }));
    await same(blocked, control, (u) => cancel(u, earlier.get(u).id));
    await same(blocked, control, listFor('outgoing'));

    const made = new Map();
    const sent = await same(blocked, control, async (u) => {
      const res = await requestTo(u, alice);
      made.set(u, res.body?.id);
      return res;
    });
    assert.equal(sent.status, 201);
    await same(blocked, control, listFor('outgoing'));
    await same(blocked, control, listFor('incoming'));
    await same(blocked, control, (u) => call('GET', `/api/v1/users/${alice.user.id}`, u));
    await same(blocked, control, (u) => listPage(u, '/api/v1/contacts'));
    await same(blocked, control, (u) => listPage(u, '/api/v1/blocks'));
    await same(blocked, control, (u) => removeContact(u, alice.user.id));
    await same(blocked, control, (u) => unblock(u, alice.user.id));

    // Only the control user's request reached alice.
    assert.deepEqual(ids(await incoming(alice)), [made.get(control)]);
  });

  test('a contact removed by a block looks like a contact removed', async () => {
    const [alice, blocked, control] = await users(3);
    await makeContacts(blocked, alice);
    await makeContacts(control, alice);
    expectNoContent(await block(alice, blocked.user.id));
    expectNoContent(await removeContact(alice, control.user.id));
    await same(blocked, control, (u) => listPage(u, '/api/v1/contacts'));
    await same(blocked, control, (u) => removeContact(u, alice.user.id));
    await same(blocked, control, (u) => listPage(u, '/api/v1/blocks'));
    const sent = await same(blocked, control, (u) => requestTo(u, alice));
    assert.equal(sent.status, 201);
    await same(blocked, control, listFor('outgoing'));
  });

  test("the blocker's request cancelled by a block looks like a request cancelled", async () => {
    const [alice, blocked, control] = await users(3);
    const toThem = new Map([[blocked, await mustRequest(alice, blocked)], [control, await mustRequest(alice, control)]]);
    expectNoContent(await block(alice, blocked.user.id));
    expectNoContent(await cancel(alice, toThem.get(control).id));
    await same(blocked, control, listFor('incoming'));
    await same(blocked, control, (u) => accept(u, toThem.get(u).id));
    await same(blocked, control, (u) => decline(u, toThem.get(u).id));
    await same(blocked, control, (u) => cancel(u, toThem.get(u).id));
  });
});

describe('account deletion', () => {
  test("the deleted user leaves every list, and requests to them answer 404", async () => {
    const [gone, friend, asked, asker, blocker, blockedByGone] = await users(6);
    await makeContacts(gone, friend);
    const toAsked = await mustRequest(gone, asked);
    const fromAsker = await mustRequest(asker, gone);
    expectNoContent(await block(blocker, gone.user.id));
    expectNoContent(await block(gone, blockedByGone.user.id));

    const res = await api(base(), 'DELETE', '/api/v1/auth/account', {
      token: gone.access_token, body: { password: PASSWORD },
    });
    assert.equal(res.status, 202, res.text);

    await eventually(async () => {
      assert.deepEqual(await contactsOf(friend), []);
      assert.deepEqual(await incoming(asked), []);
      assert.deepEqual(await outgoing(asker), []);
      assert.deepEqual(await blocksOf(blocker), []);
    });
    expectError(await accept(asked, toAsked.id), 404, 'not_found');
    expectError(await cancel(asker, fromAsker.id), 404, 'not_found');
    expectError(await sendRequest(friend, { user_id: gone.user.id }), 404, 'not_found');
    expectError(await sendRequest(friend, { username: gone.user.username }), 404, 'not_found');
    expectError(await block(friend, gone.user.id), 404, 'not_found');
    expectError(await removeContact(friend, gone.user.id), 404, 'not_found');
  });
});

describe('concurrency', () => {
  test('crossed requests sent and accepted at the same time make exactly one contact', async () => {
    const [alice, bob] = await users(2);
    const [aToB, bToA] = await Promise.all([requestTo(alice, bob), requestTo(bob, alice)]);
    assert.equal(aToB.status, 201, aToB.text);
    assert.equal(bToA.status, 201, bToA.text);
    const answers = await Promise.all([accept(bob, aToB.body.id), accept(alice, bToA.body.id)]);
    for (const res of answers) assert.ok([200, 404].includes(res.status), `${res.status} ${res.text}`);
    assert.ok(answers.some((res) => res.status === 200), answers.map((r) => r.text).join('\n'));
    assert.deepEqual(userIds(await contactsOf(alice)), [bob.user.id]);
    assert.deepEqual(userIds(await contactsOf(bob)), [alice.user.id]);
    for (const who of [alice, bob]) {
      assert.deepEqual(await incoming(who), []);
      assert.deepEqual(await outgoing(who), []);
    }
  });

  test('20 identical requests at once: one 201, the rest 409 request_pending', async () => {
    const [alice, bob] = await users(2);
    const answers = await Promise.all(Array.from({ length: 20 }, () => requestTo(alice, bob)));
    const created = answers.filter((res) => res.status === 201);
    assert.equal(created.length, 1, answers.map((r) => `${r.status} ${r.text}`).join('\n'));
    for (const res of answers.filter((r) => r.status !== 201)) expectError(res, 409, 'request_pending');
    assert.deepEqual(await incoming(bob), [created[0].body]);
    assert.deepEqual(await outgoing(alice), [created[0].body]);
  });

  test('the same request accepted several times at once: all 200, one contact', async () => {
    const [alice, bob] = await users(2);
    const request = await mustRequest(alice, bob);
    const answers = await Promise.all(Array.from({ length: 5 }, () => accept(bob, request.id)));
    for (const res of answers) assert.equal(res.status, 200, res.text);
    for (const res of answers) assert.deepEqual(res.body, answers[0].body);
    assert.deepEqual(userIds(await contactsOf(alice)), [bob.user.id]);
    assert.deepEqual(userIds(await contactsOf(bob)), [alice.user.id]);
  });
});

describe('hostile ids', () => {
  const sqlish = ["' OR 1=1 --", "' OR '1'='1", '1; DROP TABLE contacts; --', '" OR ""="', '%', '*'];
  let alice;
  let snapshot;
  const state = async () => ({
    contacts: await contactsOf(alice), incoming: await incoming(alice), outgoing: await outgoing(alice), blocks: await blocksOf(alice),
  });
  before(async () => {
    let bob;
    let carol;
    let dave;
    let erin;
    [alice, bob, carol, dave, erin] = await users(5);
    await makeContacts(alice, bob);
    await mustRequest(alice, carol);
    await mustRequest(dave, alice);
    expectNoContent(await block(alice, erin.user.id));
    snapshot = await state();
  });

  test('SQL-looking ids in paths answer 404 and change nothing', async () => {
    for (const id of sqlish) {
      const e = enc(id);
      expectError(await call('DELETE', `/api/v1/contacts/${e}`, alice), 404, 'not_found');
      expectError(await call('POST', `/api/v1/contacts/requests/${e}/accept`, alice), 404, 'not_found');
      expectError(await call('POST', `/api/v1/contacts/requests/${e}/decline`, alice), 404, 'not_found');
      expectError(await call('DELETE', `/api/v1/contacts/requests/${e}`, alice), 404, 'not_found');
      expectError(await call('PUT', `/api/v1/blocks/${e}`, alice), 404, 'not_found');
      expectError(await call('DELETE', `/api/v1/blocks/${e}`, alice), 404, 'not_found');
    }
    assert.deepEqual(await state(), snapshot);
  });

  test('SQL-looking usernames and user ids in a request answer 404 and change nothing', async () => {
    for (const value of sqlish) {
      expectError(await sendRequest(alice, { username: value }), 404, 'not_found');
      expectError(await sendRequest(alice, { user_id: value }), 404, 'not_found');
    }
    assert.deepEqual(await state(), snapshot);
  });
});
