// One messages replica killed with kill -9 under load through the gateway: nginx sends new
// requests to the other replica; a POST the dead replica had already received is not repeated
// by nginx (not idempotent) and answers 503, so the client repeats it with the same client_id.
// Every acknowledged message is in history and in sync exactly once; the replica, started again,
// serves and is woken by the other again.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { api, registerUsers } from '../lib/harness.mjs';
import {
  alive, assertExactlyOnce, countsLine, deadLetteredEverywhere, exactlyOnce, fullHistory, gateway, group,
  initialCursor, kill9, needsFaultStack, pidOf, seconds, sendLoad, serviceUrl, sleep, stack, syncWatcher, untilReady,
} from './fault-stack.mjs';

describe('fault: a messages replica killed with kill -9 under load', { skip: needsFaultStack }, () => {
  test('clients retrying through the gateway lose nothing; nothing is stored or delivered twice', async (t) => {
    await untilReady();
    const [owner, s1, s2, watcher] = await registerUsers(gateway, 4);
    const conversationId = await group(owner, [s1, s2, watcher]);
    const cursor = await initialCursor(gateway, watcher);
    const deadBefore = await deadLetteredEverywhere();

    const load = sendLoad(conversationId, [owner, s1, s2], { lanes: 3, pauseMs: 0, label: 'kill' });
    const watching = syncWatcher(watcher, cursor);
    let restarted = false;
    t.after(async () => {  // after a failure: stop the load, start the replica again
      await Promise.all([load.cancel(), watching.cancel()]);
      if (!restarted) stack('start', 'messages1');
    });
    await sleep(1500);
    const ackedBeforeKill = load.acked.size;
    const killedAt = Date.now();
    const pid = kill9('messages1');
    await sleep(3000);
    const ackedWhileDead = load.acked.size - ackedBeforeKill;
    stack('start', 'messages1');
    restarted = true;
    const restartedIn = Date.now() - killedAt;
    await sleep(1500);
    await load.stop();

    const history = await fullHistory(watcher, conversationId);
    await watching.finish((created) => created.length >= history.length);
    const counts = exactlyOnce(load, history, watching.created);

    // The restarted replica serves, and long polls are woken across replicas in both directions.
    const wakes = [];
    for (const [from, to] of [['messages1', 'messages2'], ['messages2', 'messages1']]) {
      const { cursor: now } = (await api(serviceUrl(to), 'GET', '/api/v1/sync', { token: watcher.access_token })).body;
      const polling = api(serviceUrl(to), 'GET', `/api/v1/sync?cursor=${encodeURIComponent(now)}&timeout_ms=10000`, {
        token: watcher.access_token,
      });
      await sleep(300);
      const sentAt = Date.now();
      const sent = await api(serviceUrl(from), 'POST', `/api/v1/conversations/${conversationId}/messages`, {
        token: owner.access_token, body: { body: `after the kill, via ${from}` },
      });
      assert.equal(sent.status, 201, sent.text);
      const res = await polling;
      assert.ok(res.body.events.some((e) => e.message?.id === sent.body.id), res.text);
      wakes.push(`${from}→${to} ${Date.now() - sentAt} ms`);
    }
    const deadAfter = await deadLetteredEverywhere();
    const failures = Object.entries(load.tally.statuses).filter(([s]) => s >= 500);

    console.log(`# kill -9 messages1 (pid ${pid}) after ${ackedBeforeKill} acknowledged sends; ${ackedWhileDead} acknowledged ` +
      `in the 3 s it was dead (by messages2); started again ${seconds(restartedIn)} after the kill`);
    console.log(`# sends: ${countsLine(counts)}; retried ${load.tally.retries}; ${load.tally}`);
    console.log(`# sync through the gateway: ${watching.tally}`);
    console.log(`# after the restart: wake-ups ${wakes.join(', ')}; dead-lettered events: ${JSON.stringify(deadAfter)}`);

    assert.ok(!alive(pid), 'the killed process is gone');
    assert.notEqual(pidOf('messages1'), pid, 'messages1 runs as a new process');
    assertExactlyOnce(counts, load);
    assert.ok(ackedWhileDead > 20, `only ${ackedWhileDead} sends acknowledged while messages1 was dead`);
    assert.equal(load.tally.networkErrors, 0, 'the gateway answers every request, even one whose replica died');
    assert.deepEqual(failures.map(([s]) => s).filter((s) => s !== '503'), [], 'a dead replica shows as 503 only');
    if (load.tally.samples?.[503]) {
      assert.equal(JSON.parse(load.tally.samples[503]).error.code, 'unavailable', 'in the error envelope');
    }
    assert.deepEqual(deadAfter, deadBefore, 'no event was dead-lettered');
  });
});
