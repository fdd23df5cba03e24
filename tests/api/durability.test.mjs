// Messages under concurrency and under a crash: seq stays contiguous, nothing acknowledged is
// lost, nothing is delivered twice.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { api, fullHistory, initialCursor, needsOwnServer, registerUser, start, stopCleanly } from './lib/harness.mjs';

const servers = [];
after(async () => {
  for (const s of servers) await stopCleanly(s).catch(() => {});
});

async function group(base, owner, others, title = 'storm') {
  const res = await api(base, 'POST', '/api/v1/conversations', {
    token: owner.access_token,
    body: { kind: 'group', title, member_ids: others.map((u) => u.user.id) },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

// Follows the sync log from cursor until `until(events)` holds or the time runs out.
async function follow(base, user, cursor, until, timeoutMs = 60_000) {
  const events = [];
  const deadline = Date.now() + timeoutMs;
  while (!until(events) && Date.now() < deadline) {
    const res = await api(base, 'GET', `/api/v1/sync?cursor=${encodeURIComponent(cursor)}&timeout_ms=2000`, {
      token: user.access_token,
    });
    assert.equal(res.status, 200, res.text);
    events.push(...res.body.events);
    cursor = res.body.cursor;
  }
  return { events, cursor };
}

function assertContiguous(messages) {
  messages.forEach((m, i) => assert.equal(m.seq, i + 1, `seq ${m.seq} at position ${i}`));
}

describe('concurrent senders', { skip: needsOwnServer }, () => {
  test('5 senders x 200 messages: seq contiguous, each delivered exactly once to a syncing member', async () => {
    const server = await start();
    servers.push(server);
    const base = server.baseUrl;
    const senders = [];
    for (let i = 0; i < 5; i++) senders.push(await registerUser(base));
    const watcher = await registerUser(base);
    const conversationId = await group(base, senders[0], [...senders.slice(1), watcher]);
    const cursor = await initialCursor(base, watcher);

    const total = 5 * 200;
    const created = (events) => events.filter((e) => e.type === 'message.created');
    const watching = follow(base, watcher, cursor, (events) => created(events).length >= total);

    await Promise.all(senders.map(async (sender, s) => {
      // Four requests in flight per sender: twenty concurrent writers in all.
      const queue = Array.from({ length: 200 }, (_, n) => n);
      await Promise.all(Array.from({ length: 4 }, async () => {
        for (let n = queue.shift(); n !== undefined; n = queue.shift()) {
          const res = await api(base, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
            token: sender.access_token, body: { body: `sender ${s} message ${n}`, client_id: `s${s}-${n}` },
          });
          assert.equal(res.status, 201, res.text);
        }
      }));
    }));

    const history = await fullHistory(base, watcher, conversationId);
    assert.equal(history.length, total);
    assertContiguous(history);
    assert.equal(new Set(history.map((m) => m.client_id)).size, total, 'every client_id once');

    const { events } = await watching;
    const delivered = created(events).map((e) => e.message);
    assert.equal(delivered.length, total, 'the watcher got every message');
    assert.equal(new Set(delivered.map((m) => m.id)).size, total, 'and none twice');
    assert.deepEqual(delivered.map((m) => m.seq).sort((a, b) => a - b), history.map((m) => m.seq));
  });
});

describe('crash during a send storm', { skip: needsOwnServer }, () => {
  test('SIGTERM during a send storm: the server exits 0, and every acknowledged message is stored once', async () => {
    let server = await start();
    servers.push(server);
    const senders = [await registerUser(server.baseUrl), await registerUser(server.baseUrl)];
    const conversationId = await group(server.baseUrl, senders[0], [senders[1]]);
    const acked = new Map(); // client_id -> message
    let stopping = false;
    const storm = senders.flatMap((sender, s) => Array.from({ length: 8 }, async (_, lane) => {
      for (let n = 0; !stopping; n++) {
        const clientId = `t${s}-l${lane}-${n}`;
        try {
          const res = await api(server.baseUrl, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
            token: sender.access_token, body: { body: `storm ${clientId}`, client_id: clientId },
          });
          if (res.status === 201) acked.set(clientId, res.body);
        } catch {
          return; // the server went away under us
        }
      }
    }));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const code = await server.stop(); // SIGTERM while sends are queued for the writer
    stopping = true;
    await Promise.all(storm);
    assert.equal(code, 0, `exit after SIGTERM under load; output:\n${server.output()}`);
    assert.ok(acked.size > 50, `only ${acked.size} messages were acknowledged before the stop`);

    server = await start({ dataDir: server.dataDir });
    servers.push(server);
    const history = await fullHistory(server.baseUrl, senders[1], conversationId);
    assertContiguous(history);
    const byClient = new Map(history.map((m) => [m.client_id, m]));
    assert.equal(byClient.size, history.length, 'no client_id twice');
    for (const [clientId, message] of acked) assert.equal(byClient.get(clientId)?.id, message.id, `acknowledged ${clientId}`);
  });

  test('after kill -9 every acknowledged message is in history and sync exactly once', async () => {
    let server = await start();
    servers.push(server);
    const senders = [await registerUser(server.baseUrl), await registerUser(server.baseUrl)];
    const watcher = await registerUser(server.baseUrl);
    const conversationId = await group(server.baseUrl, senders[0], [senders[1], watcher]);
    const cursor = await initialCursor(server.baseUrl, watcher);

    const acked = new Map(); // client_id -> message
    const attempted = [];
    let crashed = false;
    const storm = senders.flatMap((sender, s) => Array.from({ length: 4 }, async (_, lane) => {
      for (let n = 0; !crashed; n++) {
        const clientId = `s${s}-l${lane}-${n}`;
        attempted.push({ sender, clientId, body: `storm ${clientId}` });
        try {
          const res = await api(server.baseUrl, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
            token: sender.access_token, body: { body: `storm ${clientId}`, client_id: clientId },
          });
          if (res.status === 201) acked.set(clientId, res.body);
        } catch {
          return; // the server died under us: this one was never acknowledged
        }
      }
    }));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    server.kill(); // SIGKILL: no shutdown, no flush
    crashed = true;
    await Promise.all(storm);
    assert.equal(await server.stop(), 'SIGKILL');
    assert.ok(acked.size > 50, `only ${acked.size} messages were acknowledged before the crash`);

    server = await start({ dataDir: server.dataDir });
    servers.push(server);
    const history = await fullHistory(server.baseUrl, watcher, conversationId);
    assertContiguous(history);
    const byClient = new Map(history.map((m) => [m.client_id, m]));
    assert.equal(byClient.size, history.length, 'no client_id twice');
    for (const [clientId, message] of acked) {
      const stored = byClient.get(clientId);
      assert.ok(stored, `acknowledged ${clientId} lost`);
      assert.equal(stored.id, message.id);
      assert.equal(stored.seq, message.seq);
      assert.equal(stored.body, message.body);
    }

    const { events } = await follow(server.baseUrl, watcher, cursor, (ev) =>
      ev.filter((e) => e.type === 'message.created').length >= history.length, 20_000);
    const delivered = events.filter((e) => e.type === 'message.created').map((e) => e.message.id);
    assert.equal(delivered.length, history.length, 'sync delivers every stored message');
    assert.equal(new Set(delivered).size, delivered.length, 'and none twice');

    // Clients retry what they never saw acknowledged: nothing is stored twice.
    for (const { sender, clientId, body } of attempted.filter((a) => !acked.has(a.clientId))) {
      const res = await api(server.baseUrl, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
        token: sender.access_token, body: { body, client_id: clientId },
      });
      assert.ok(res.status === 200 || res.status === 201, res.text);
    }
    const after = await fullHistory(server.baseUrl, watcher, conversationId);
    assertContiguous(after);
    assert.equal(new Set(after.map((m) => m.client_id)).size, after.length, 'no duplicates after retries');
    assert.equal(after.length, new Set(attempted.map((a) => a.clientId)).size, 'every attempt stored once');
  });
});
