// No event lost across the broker's life (issue #15): events published before their consumers'
// queues exist wait for them; revocations a service missed (it was down, or the broker was) are
// refused by every service within seconds; a broker that goes silent without closing anything
// (SIGSTOP) is noticed by the heartbeats within two intervals, and everything recovers after it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { api, PASSWORD, registerUsers, uniqueName } from '../lib/harness.mjs';
import {
  SERVICES, brokerPid, deleteQueues, gateway, heartbeatMs, metric, needsFaultStack, registerPersistently, seconds,
  sleep, stack, tokenStatuses, untilEveryService, untilKnownEverywhere, untilReady,
} from './fault-stack.mjs';

const CONSUMERS = ['users', 'contacts', 'messages1', 'messages2'];

// An account with a second session (signed in again): its first session is revoked by logout.
async function withTwoSessions() {
  const [account] = await registerUsers(gateway, 1);
  const again = await api(gateway, 'POST', '/api/v1/auth/login', { body: { login: account.user.username, password: PASSWORD } });
  assert.equal(again.status, 200, again.text);
  return account;
}

const logout = async (account) => {
  const res = await api(gateway, 'POST', '/api/v1/auth/logout', { body: { refresh_token: account.refresh_token } });
  assert.equal(res.status, 204, res.text);
};
const deleteAccount = async (account) => {
  const res = await api(gateway, 'DELETE', '/api/v1/auth/account', { token: account.access_token, body: { password: PASSWORD } });
  assert.equal(res.status, 202, res.text);
};

// Accounts whose tokens every service takes (each consumer has heard of them).
async function acceptedEverywhere(n) {
  const accounts = [];
  for (let i = 0; i < n; i++) accounts.push(await withTwoSessions());
  for (const a of accounts) await untilEveryService(a.access_token, 200);
  return accounts;
}

describe("fault: the broker's life", { skip: needsFaultStack }, () => {
  test('consumers started after the producer published, on a broker that came back without their queues: the events and the revocations still reach them', async (t) => {
    await untilReady();
    const [probe] = await registerUsers(gateway, 1);
    const [revoked, leaving] = await acceptedEverywhere(2);
    let stopped = true;
    t.after(() => {
      if (stopped) for (const s of CONSUMERS) stack('start', s);
    });
    for (const s of CONSUMERS) stack('stop', s);
    // As on a fresh install, or a broker that came back without its definitions: no consuming
    // service has declared its queue, and the producer (reconnected) publishes first.
    deleteQueues('parley.users', 'parley.contacts', 'parley.messages');
    stack('restart', 'rabbitmq');
    const accounts = [];
    for (let i = 0; i < 5; i++) accounts.push(await registerPersistently(uniqueName('early')));
    await logout(revoked);
    await deleteAccount(leaving);

    const startedAt = Date.now();
    for (const s of CONSUMERS) stack('start', s);
    stopped = false;
    const startTook = Date.now() - startedAt;
    const known = await untilKnownEverywhere(accounts, probe);
    const refusedRevoked = await untilEveryService(revoked.access_token, 401);
    const refusedDeleted = await untilEveryService(leaving.access_token, 401);
    console.log(`# consumers started after the producer: ${accounts.length} accounts known to users ${known.users}, ` +
      `contacts ${known.contacts}, messages ${known.messages} (${seconds(known.ms)} after the consumers were ready, ` +
      `${seconds(startTook)} to start them); revoked session refused everywhere ${refusedRevoked} ms and deleted ` +
      `account ${refusedDeleted} ms after that`);
    assert.deepEqual({ users: known.users, contacts: known.contacts, messages: known.messages },
      { users: accounts.length, contacts: accounts.length, messages: accounts.length },
      'every account registered before its consumers ran reached them');
  });

  test('a session revoked and an account deleted while RabbitMQ is away are refused by every service within seconds of its return', async (t) => {
    await untilReady();
    const [revoked, leaving] = await acceptedEverywhere(2);
    let brokerBack = false;
    t.after(() => {
      if (!brokerBack) stack('start', 'rabbitmq');
    });
    stack('stop', 'rabbitmq');
    await logout(revoked);
    await deleteAccount(leaving);
    const during = await tokenStatuses(revoked.access_token);
    stack('start', 'rabbitmq');
    brokerBack = true;
    const back = Date.now();
    const [revokedMs, deletedMs] = await Promise.all([
      untilEveryService(revoked.access_token, 401, 15_000), untilEveryService(leaving.access_token, 401, 15_000),
    ]);
    const readyMs = await untilReady();
    console.log(`# revoked while the broker was away: refused everywhere ${seconds(revokedMs)} (session) and ` +
      `${seconds(deletedMs)} (account) after it was back; every service ready ${seconds(Date.now() - back - readyMs)}; ` +
      `while away the revoked token got ${JSON.stringify(during)}`);
    assert.ok(Math.max(revokedMs, deletedMs) < 10_000, 'within seconds of the broker coming back');
  });

  test('a broker that goes silent (SIGSTOP) is noticed within two heartbeats by every connection, and all recovers after SIGCONT', async (t) => {
    await untilReady();
    const [probe] = await registerUsers(gateway, 1);
    const lost = (link) => Promise.all(SERVICES.map((s) => metric(s, `parley_amqp_connections_lost_total{link="${link}"}`)));
    // Every publisher holds its connection (after the previous test's outage, one may still be
    // waiting to reconnect: it has nothing to lose then).
    const publishersUp = Date.now();
    while ((await Promise.all(SERVICES.map((s) => metric(s, 'parley_amqp_publisher_connected')))).some((v) => v !== 1)) {
      assert.ok(Date.now() - publishersUp < 15_000, 'every publisher connected');
      await sleep(100);
    }
    const before = { publisher: await lost('publisher'), consumer: await lost('consumer') };
    const pid = brokerPid();
    let frozen = true;
    t.after(() => {
      if (frozen) process.kill(pid, 'SIGCONT');
    });
    process.kill(pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    const noticed = { publisher: {}, consumer: {} };
    while (Date.now() - stoppedAt < 2 * heartbeatMs + 10_000) {
      for (const link of ['publisher', 'consumer']) {
        const now = await lost(link);
        SERVICES.forEach((s, i) => {
          if (now[i] > before[link][i]) noticed[link][s] ??= Date.now() - stoppedAt;
        });
      }
      if (Object.keys(noticed.publisher).length === SERVICES.length && Object.keys(noticed.consumer).length === SERVICES.length) break;
      await sleep(100);
    }
    process.kill(pid, 'SIGCONT');
    frozen = false;
    const readyMs = await untilReady(SERVICES, 60_000);
    const account = await registerPersistently(uniqueName('thawed'));
    const known = await untilKnownEverywhere([account], probe);
    const last = (link) => Math.max(...SERVICES.map((s) => noticed[link][s] ?? Infinity));
    console.log(`# silent broker (heartbeat ${seconds(heartbeatMs)}): noticed by the publishers after ` +
      `${JSON.stringify(noticed.publisher)} ms, by the consumers after ${JSON.stringify(noticed.consumer)} ms; ` +
      `ready ${seconds(readyMs)} after SIGCONT; an account registered then reached every consumer in ${seconds(known.ms)}`);
    for (const link of ['publisher', 'consumer'])
      assert.ok(last(link) <= 2 * heartbeatMs + 1000, `every ${link} connection noticed within two heartbeats: ${JSON.stringify(noticed[link])}`);
    assert.deepEqual([known.users, known.contacts, known.messages], [1, 1, 1], 'events flow again');
  });
});
