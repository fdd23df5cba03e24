// The same services as separate processes: each with its own MariaDB database, events through
// RabbitMQ, two replicas of messages. Real servers, started privately by scripts/test-servers.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { api, binaryPath, eventually, needsOwnServer, registerUser, repoRoot, start, stopCleanly } from './lib/harness.mjs';

const servers = path.join(repoRoot, 'scripts/test-servers');
const bin = (name) => path.resolve(path.dirname(binaryPath), '../services', `parley-${name}`);
const AMQP_PORT = 25682; // apart from the unit tests' broker

describe('distributed: one process per service on MariaDB and RabbitMQ', { skip: needsOwnServer }, () => {
  let dir;
  const procs = {};
  const early = {};
  const serversEnv = () => ({ ...process.env, PARLEY_TEST_AMQP_PORT: String(AMQP_PORT) });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'parley-distributed-'));
    execFileSync(servers, ['start', 'mariadb', dir], { stdio: 'inherit' });
    execFileSync(servers, ['start', 'rabbitmq', dir], { stdio: 'inherit', env: serversEnv() });
    const common = {
      PARLEY_DATABASE_URL: `mysql://root@localhost/parley?socket=${dir}/mariadb/sock`, // parley_auth, parley_users...
      PARLEY_AMQP_URL: `amqp://guest:guest@127.0.0.1:${AMQP_PORT}/`,
      PARLEY_SERVICE_TOKEN_FILE: path.join(dir, 'service-token'), // one secret for the installation
    };
    procs.auth = await start({ bin: bin('auth'), env: common });
    // A fresh install whose services start at different times: auth publishes before the
    // others have ever run (their queues are declared by the publisher, and the revocations they
    // missed are asked of auth when they start).
    early.registered = await registerUser(procs.auth.baseUrl);
    early.other = await registerUser(procs.auth.baseUrl);
    early.loggedOut = await registerUser(procs.auth.baseUrl);
    const out = await api(procs.auth.baseUrl, 'POST', '/api/v1/auth/logout', {
      body: { refresh_token: early.loggedOut.refresh_token },
    });
    assert.equal(out.status, 204, out.text);
    const keys = {
      ...common,
      PARLEY_JWKS_FILE: path.join(procs.auth.dataDir, 'jwks.json'),
      PARLEY_AUTH_INTERNAL_URL: procs.auth.baseUrl,
    };
    procs.users = await start({ bin: bin('users'), env: keys });
    procs.messages1 = await start({ bin: bin('messages'), env: keys });
    procs.messages2 = await start({ bin: bin('messages'), env: keys });
  });

  after(async () => {
    for (const p of Object.values(procs)) await stopCleanly(p);
    execFileSync(servers, ['stop', 'rabbitmq', dir], { stdio: 'inherit', env: serversEnv() });
    execFileSync(servers, ['stop', 'mariadb', dir], { stdio: 'inherit' });
  });

  test('the auth process publishes its public keys; no process holds the signing key but auth', async () => {
    const jwks = JSON.parse(await readFile(path.join(procs.auth.dataDir, 'jwks.json'), 'utf8'));
    assert.equal(jwks.keys[0].kty, 'OKP');
    assert.equal(jwks.keys[0].d, undefined);
    const served = await api(procs.auth.baseUrl, 'GET', '/api/v1/auth/jwks');
    assert.deepEqual(served.body, jwks);
  });

  test('what auth published before the other services ever ran reaches them when they start', async () => {
    const { registered, other, loggedOut } = early;
    const me = await eventually(async () => {
      const res = await api(procs.users.baseUrl, 'GET', '/api/v1/users/me', { token: registered.access_token });
      assert.equal(res.status, 200, res.text);
      return res.body;
    });
    assert.equal(me.username, registered.user.username);
    for (const m of [procs.messages1, procs.messages2]) {
      await eventually(async () => {
        const res = await api(m.baseUrl, 'POST', '/api/v1/conversations', {
          token: registered.access_token, body: { kind: 'direct', user_id: other.user.id },
        });
        assert.ok(res.status === 201 || res.status === 200, `${res.status} ${res.text}`);
      });
    }
    // Logged out before they started: its session.revoked had no queue to wait in.
    await eventually(async () => {
      for (const p of [procs.users, procs.messages1, procs.messages2]) {
        const res = await api(p.baseUrl, 'GET', p === procs.users ? '/api/v1/users/me' : '/api/v1/conversations', {
          token: loggedOut.access_token,
        });
        assert.equal(res.status, 401, `${res.text}\n${p.output().slice(-2000)}`);
      }
    });
  });

  test('a profile appears in the users service from user.registered over RabbitMQ', async () => {
    const alice = await registerUser(procs.auth.baseUrl);
    const me = await eventually(async () => {
      const res = await api(procs.users.baseUrl, 'GET', '/api/v1/users/me', { token: alice.access_token });
      assert.equal(res.status, 200, res.text);
      return res.body;
    });
    assert.equal(me.username, alice.user.username);
  });

  test('a logout in auth refuses the access token in every other process', async () => {
    const bob = await registerUser(procs.auth.baseUrl);
    await eventually(async () => {
      assert.equal((await api(procs.users.baseUrl, 'GET', '/api/v1/users/me', { token: bob.access_token })).status, 200);
    });
    const out = await api(procs.auth.baseUrl, 'POST', '/api/v1/auth/logout', { body: { refresh_token: bob.refresh_token } });
    assert.equal(out.status, 204);
    await eventually(async () => {
      for (const p of [procs.users, procs.messages1, procs.messages2]) {
        const res = await api(p.baseUrl, 'GET', '/api/v1/conversations', { token: bob.access_token });
        if (p === procs.users) continue;
        assert.equal(res.status, 401, res.text);
      }
      assert.equal((await api(procs.users.baseUrl, 'GET', '/api/v1/users/me', { token: bob.access_token })).status, 401);
    });
  });

  test('both sides of a pair open their direct conversation at once on different replicas: one conversation, no error', async () => {
    for (let round = 0; round < 8; ++round) {
      const [alice, bob] = [await registerUser(procs.auth.baseUrl), await registerUser(procs.auth.baseUrl)];
      const open = (who, other, at) => api(at.baseUrl, 'POST', '/api/v1/conversations', {
        token: who.access_token, body: { kind: 'direct', user_id: other.user.id },
      });
      // Until both replicas have heard of both users (user.registered), they answer 404.
      const [a, b] = await eventually(async () => {
        const both = await Promise.all([open(alice, bob, procs.messages1), open(bob, alice, procs.messages2)]);
        for (const r of both) assert.notEqual(r.status, 404, r.text);
        return both;
      });
      for (const r of [a, b]) assert.ok(r.status === 200 || r.status === 201, `${r.status} ${r.text}`);
      assert.equal(a.body.id, b.body.id);
      const listed = await api(procs.messages1.baseUrl, 'GET', '/api/v1/conversations', { token: alice.access_token });
      assert.deepEqual(listed.body.items.map((c) => c.id), [a.body.id]);
    }
  });

  test('a long poll held by one messages replica wakes for a message sent through the other', async () => {
    const alice = await registerUser(procs.auth.baseUrl);
    const bob = await registerUser(procs.auth.baseUrl);
    const m1 = procs.messages1.baseUrl;
    const m2 = procs.messages2.baseUrl;
    const conversation = await eventually(async () => {
      const res = await api(m2, 'POST', '/api/v1/conversations', {
        token: alice.access_token, body: { kind: 'direct', user_id: bob.user.id },
      });
      assert.ok(res.status === 201 || res.status === 200, res.text);
      return res.body;
    });
    const { cursor } = (await api(m1, 'GET', '/api/v1/sync', { token: bob.access_token })).body;
    const polling = api(m1, 'GET', `/api/v1/sync?cursor=${encodeURIComponent(cursor)}&timeout_ms=20000`, {
      token: bob.access_token,
    });
    await new Promise((resolve) => setTimeout(resolve, 300)); // let it park
    const sentAt = Date.now();
    const sent = await api(m2, 'POST', `/api/v1/conversations/${conversation.id}/messages`, {
      token: alice.access_token, body: { body: 'across replicas' },
    });
    assert.equal(sent.status, 201, sent.text);
    const res = await polling;
    const waited = Date.now() - sentAt;
    assert.equal(res.status, 200, res.text);
    const delivered = res.body.events.filter((e) => e.type === 'message.created');
    assert.equal(delivered.length, 1, JSON.stringify(res.body));
    assert.equal(delivered[0].message.id, sent.body.id);
    assert.ok(waited < 1000, `delivered ${waited} ms after the send (a missed wake-up would wait for the 20 s timeout)`);
    console.log(`# cross-replica delivery: ${waited} ms after the send answered`);
  });
});
