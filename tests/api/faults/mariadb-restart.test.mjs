// MariaDB restarted under load: every service recovers by itself (same processes, /readyz 503
// while the database is away and 200 after), clients that retry with their client_id lose
// nothing, and nothing is stored or delivered twice.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { registerUsers, uniqueName } from '../lib/harness.mjs';
import {
  SERVICES, Tally, assertExactlyOnce, countsLine, deadLetteredEverywhere, exactlyOnce, fullHistory, gateway, group,
  initialCursor, needsFaultStack, pidOf, readyz, registerPersistently, seconds, sendLoad, sleep, stack, syncWatcher,
  untilKnownEverywhere, untilReady,
} from './fault-stack.mjs';

describe('fault: MariaDB restarted under load', { skip: needsFaultStack }, () => {
  test('services recover without a restart; every acknowledged message is stored and delivered exactly once', async (t) => {
    await untilReady();
    const [owner, s1, s2, watcher, probe] = await registerUsers(gateway, 5);
    const conversationId = await group(owner, [s1, s2, watcher]);
    const cursor = await initialCursor(gateway, watcher);
    const pids = Object.fromEntries(SERVICES.map((s) => [s, pidOf(s)]));
    const deadBefore = await deadLetteredEverywhere();

    const load = sendLoad(conversationId, [owner, s1, s2], { label: 'db' });
    const watching = syncWatcher(watcher, cursor);
    let databaseBack = false;
    let registering = true;
    t.after(async () => {  // after a failure: stop the load, bring the database back
      registering = false;
      await Promise.all([load.cancel(), watching.cancel()]);
      if (!databaseBack) stack('start', 'mariadb');
    });
    // Accounts registered while the database goes away and comes back: their events go through
    // the outbox relays and the consumers of users, contacts and messages.
    const registrations = new Tally();
    const accounts = [];
    const signups = (async () => {
      while (registering) {
        accounts.push(await registerPersistently(uniqueName('db'), registrations));
        await sleep(100);
      }
    })();

    await sleep(1500);
    const stoppedAt = Date.now();
    stack('stop', 'mariadb');
    await sleep(500);
    const unready = await Promise.all(SERVICES.map(readyz));
    await sleep(1500);
    stack('start', 'mariadb');
    databaseBack = true;
    const downFor = Date.now() - stoppedAt;
    const readyAfter = await untilReady(SERVICES, 20_000);
    await sleep(1500);
    registering = false;
    await Promise.all([load.stop(), signups]);

    const history = await fullHistory(watcher, conversationId);
    await watching.finish((created) => created.length >= history.length);
    const counts = exactlyOnce(load, history, watching.created);
    const known = await untilKnownEverywhere(accounts, probe);
    const deadAfter = await deadLetteredEverywhere();

    console.log(`# mariadb restart: down ${seconds(downFor)}; every service ready again ${seconds(readyAfter)} after it was back, same pids`);
    console.log(`# readyz while down: ${SERVICES.map((s, i) => `${s} ${unready[i]}`).join(', ')}`);
    console.log(`# sends: ${countsLine(counts)}; retried ${load.tally.retries}; ${load.tally}`);
    console.log(`# sync: ${watching.tally}`);
    console.log(`# registered during the restart: ${accounts.length} (${accounts.filter((a) => a.retried).length} after a retry); ` +
      `known to users ${known.users}, contacts ${known.contacts}, messages ${known.messages} (${seconds(known.ms)}); ${registrations}`);
    console.log(`# dead-lettered events: ${JSON.stringify(deadAfter)}`);

    for (const s of SERVICES) assert.equal(pidOf(s), pids[s], `${s} was restarted`);
    assert.deepEqual(unready, SERVICES.map(() => 503), '/readyz is 503 while the database is away');
    assertExactlyOnce(counts, load);
    assert.ok(counts.acknowledged > 50, `only ${counts.acknowledged} messages acknowledged`);
    const errors = Object.keys(load.tally.statuses).filter((s) => s >= 500 && s !== '503');
    assert.deepEqual(errors, [], 'a database outage answers 503 unavailable, never another 5xx');
    assert.ok(load.tally.retries > 0, 'the outage was felt by the senders');
    assert.deepEqual({ users: known.users, contacts: known.contacts, messages: known.messages },
      { users: accounts.length, contacts: accounts.length, messages: accounts.length }, 'every new account reached every service');
    assert.deepEqual(deadAfter, deadBefore, 'no event was dead-lettered');
  });
});
