// RabbitMQ stopped for 20 s under load, then started again: requests keep succeeding (events wait
// in the outboxes), no event is lost, every consumer catches up, and long polls are woken across
// messages replicas again (each replica's transient queue is declared and bound anew).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { api, eventually, registerUsers, uniqueName } from '../lib/harness.mjs';
import {
  SERVICES, Tally, assertExactlyOnce, countsLine, deadLetteredEverywhere, exactlyOnce, fullHistory, gateway, group,
  initialCursor, needsFaultStack, persist, readyz, registerPersistently, seconds, sendLoad, serviceUrl, sleep, stack,
  syncWatcher, untilKnownEverywhere, untilReady,
} from './fault-stack.mjs';

const OUTAGE_MS = 20_000;
const PAIRS = 4;

// A long poll held by one messages replica, woken by a message sent through the other; returns
// how long after the send it answered.
async function crossReplicaWake(from, to, sender, member, conversationId) {
  const { cursor } = (await api(serviceUrl(to), 'GET', '/api/v1/sync', { token: member.access_token })).body;
  const polling = api(serviceUrl(to), 'GET', `/api/v1/sync?cursor=${encodeURIComponent(cursor)}&timeout_ms=10000`, {
    token: member.access_token,
  });
  await sleep(300); // let it park
  const sentAt = Date.now();
  const sent = await api(serviceUrl(from), 'POST', `/api/v1/conversations/${conversationId}/messages`, {
    token: sender.access_token, body: { body: `wake ${to}` },
  });
  assert.equal(sent.status, 201, sent.text);
  const res = await polling;
  assert.equal(res.status, 200, res.text);
  assert.ok(res.body.events.some((e) => e.message?.id === sent.body.id), `the poll on ${to} got the message: ${res.text}`);
  return Date.now() - sentAt;
}

describe('fault: RabbitMQ stopped for 20 s under load', { skip: needsFaultStack }, () => {
  test('no event is lost, every consumer catches up, long polls wake across replicas again', async (t) => {
    await untilReady();
    const [owner, s1, watcher, stranger, ...paired] = await registerUsers(gateway, 4 + 2 * PAIRS);
    const pairs = Array.from({ length: PAIRS }, (_, i) => ({ from: paired[2 * i], to: paired[2 * i + 1] }));
    const conversationId = await group(owner, [s1, watcher]);
    // The stranger already talks to each recipient; once a recipient accepts only contacts (while
    // the broker is away), messages must learn it and refuse the stranger.
    const strangerChats = [];
    for (const { to } of pairs) {
      const res = await api(gateway, 'POST', '/api/v1/conversations', {
        token: stranger.access_token, body: { kind: 'direct', user_id: to.user.id },
      });
      assert.equal(res.status, 201, res.text);
      strangerChats.push(res.body.id);
    }
    const cursor = await initialCursor(gateway, watcher);
    const deadBefore = await deadLetteredEverywhere();

    // After a failure: stop the load and bring the broker back for whatever runs next.
    let load;
    let watching;
    let outage = true;
    let brokerBack = false;
    t.after(async () => {
      outage = false;
      await Promise.all([load?.cancel(), watching?.cancel()]);
      if (!brokerBack) stack('start', 'rabbitmq');
    });

    const stoppedAt = Date.now();
    stack('stop', 'rabbitmq');
    const unready = await eventually(async () => {
      const statuses = await Promise.all(SERVICES.map(readyz));
      assert.deepEqual(statuses, SERVICES.map(() => 503), '/readyz is 503 while the broker is away');
      return statuses;
    });

    // The load while the broker is away: messages, new accounts, contact requests and accepts, and
    // recipients who from now on accept direct messages from contacts only.
    load = sendLoad(conversationId, [owner, s1], { pauseMs: 50, label: 'mq' });
    watching = syncWatcher(watcher, cursor);
    const registrations = new Tally();
    const accounts = [];
    const contactOps = new Tally();
    const signups = (async () => {
      while (outage) {
        accounts.push(await registerPersistently(uniqueName('mq'), registrations));
        await sleep(150);
      }
    })();
    const contacting = (async () => {
      for (const { from, to } of pairs) {
        await sleep(OUTAGE_MS / (PAIRS + 2));
        if (!outage) return;
        const request = await persist(gateway, 'POST', '/api/v1/contacts/requests', {
          token: from.access_token, body: { user_id: to.user.id },
        }, { tally: contactOps });
        assert.equal(request.status, 201, request.text);
        const policy = await persist(gateway, 'PATCH', '/api/v1/users/me', {
          token: to.access_token, body: { dm_policy: 'contacts' },
        }, { tally: contactOps });
        assert.equal(policy.status, 200, policy.text);
        const accept = await persist(gateway, 'POST', `/api/v1/contacts/requests/${request.body.id}/accept`, {
          token: to.access_token,
        }, { tally: contactOps });
        assert.equal(accept.status, 200, accept.text);
      }
    })();

    await sleep(Math.max(0, stoppedAt + OUTAGE_MS - Date.now()));
    const startedAt = Date.now();
    stack('start', 'rabbitmq');
    brokerBack = true;
    const backAt = Date.now();
    const readyAfter = await untilReady(SERVICES, 30_000);
    outage = false;
    await Promise.all([load.stop(), signups, contacting]);
    const downFor = backAt - stoppedAt;

    // Every consumer catches up on what happened while the broker was away.
    const known = await untilKnownEverywhere(accounts, stranger);
    const policies = { allowed: 0, refused: 0 };
    const caughtUp = Date.now();
    await eventually(async () => {
      policies.allowed = 0;
      policies.refused = 0;
      for (const [i, { from, to }] of pairs.entries()) {
        const direct = await api(gateway, 'POST', '/api/v1/conversations', {
          token: from.access_token, body: { kind: 'direct', user_id: to.user.id },
        });
        if (direct.status === 201 || direct.status === 200) policies.allowed++;
        const intrusion = await api(gateway, 'POST', `/api/v1/conversations/${strangerChats[i]}/messages`, {
          token: stranger.access_token, body: { body: 'still there?' },
        });
        if (intrusion.status === 403) policies.refused++;
      }
      assert.deepEqual(policies, { allowed: PAIRS, refused: PAIRS }, 'messages learned every accept and dm_policy');
    }, 20_000);
    const policiesAfter = Date.now() - caughtUp;

    const history = await fullHistory(watcher, conversationId);
    await watching.finish((created) => created.length >= history.length);
    const counts = exactlyOnce(load, history, watching.created);
    const wake12 = await crossReplicaWake('messages1', 'messages2', owner, watcher, conversationId);
    const wake21 = await crossReplicaWake('messages2', 'messages1', owner, watcher, conversationId);
    const deadAfter = await deadLetteredEverywhere();

    const n = accounts.length;
    console.log(`# rabbitmq outage: down ${seconds(downFor)} (start took ${seconds(backAt - startedAt)}); ` +
      `every service ready again ${seconds(readyAfter)} after; readyz while down: ${unready.join(' ')}`);
    console.log(`# produced while down: user.registered ${n} (×3 consumers), contact.requested ${PAIRS}, ` +
      `contact.accepted ${PAIRS}, user.profile_updated ${PAIRS} (×2 consumers), message.created ${counts.inHistory}`);
    console.log(`# observed after: profiles ${known.users}/${n}, known to contacts ${known.contacts}/${n}, ` +
      `known to messages ${known.messages}/${n} (${seconds(known.ms)}); DMs between new contacts allowed ` +
      `${policies.allowed}/${PAIRS}, stranger refused by dm_policy ${policies.refused}/${PAIRS} (${seconds(policiesAfter)})`);
    console.log(`# registrations: ${registrations}; contact and profile calls: ${contactOps}`);
    console.log(`# sends: ${countsLine(counts)}; ${load.tally}`);
    console.log(`# sync: ${watching.tally}; cross-replica wake after: messages1→2 ${wake12} ms, messages2→1 ${wake21} ms`);
    console.log(`# dead-lettered events: ${JSON.stringify(deadAfter)}`);

    assert.ok(downFor >= OUTAGE_MS, `the broker was down only ${downFor} ms`);
    assert.deepEqual(Object.keys(registrations.statuses), ['201'], 'registering never fails because the broker is away');
    assert.ok(n >= 20, `only ${n} accounts registered while the broker was away`);
    assert.deepEqual({ users: known.users, contacts: known.contacts, messages: known.messages },
      { users: n, contacts: n, messages: n }, 'every account registered while the broker was away reached every service');
    assertExactlyOnce(counts, load);
    assert.deepEqual(Object.keys(load.tally.statuses), ['201'], 'sending never fails because the broker is away');
    assert.ok(wake12 < 1000 && wake21 < 1000, 'long polls are woken across replicas again (not by their timeout)');
    assert.deepEqual(deadAfter, deadBefore, 'no event was dead-lettered');
  });
});
