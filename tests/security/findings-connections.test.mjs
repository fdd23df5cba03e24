// Issue #14, finding 7 (slow and many connections): a request's headers have a deadline of their
// own, apart from the keep-alive idle wait; connections are capped in total and per client
// address; a user's parked long polls are capped, the oldest let go with an empty page. Each of
// these servers gets small limits of its own, so none of this runs behind the gateway.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { after, describe, test } from 'node:test';
import {
  api, eventually, needsOwnServer, registerUser, start, stopCleanly,
} from '../api/lib/harness.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const enc = encodeURIComponent;

// A raw connection to server: keeps what it receives, and when it was closed.
async function connect(server) {
  const { hostname, port } = new URL(server.baseUrl);
  const socket = net.connect(Number(port), hostname);
  socket.received = Buffer.alloc(0);
  socket.on('data', (chunk) => (socket.received = Buffer.concat([socket.received, chunk])));
  socket.whenClosed = new Promise((resolve) => socket.on('close', () => resolve(Date.now())));
  socket.on('error', () => {});  // a reset is a close too, here
  await once(socket, 'connect');
  return socket;
}

// Sends one keep-alive GET on socket and reads its answer: {status, body}.
async function exchange(socket, path) {
  socket.received = Buffer.alloc(0);
  socket.write(`GET ${path} HTTP/1.1\r\nHost: parley.test\r\n\r\n`);
  const deadline = Date.now() + 5000;
  for (;;) {
    const text = socket.received.toString('latin1');
    const end = text.indexOf('\r\n\r\n');
    if (end >= 0) {
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(text.slice(0, end))?.[1] ?? 0);
      if (socket.received.length >= end + 4 + length) {
        return {
          status: Number(text.slice(9, 12)),
          body: socket.received.subarray(end + 4, end + 4 + length).toString('utf8'),
        };
      }
    }
    if (socket.destroyed || socket.readableEnded) throw new Error(`connection closed; received: ${text}`);
    if (Date.now() > deadline) throw new Error(`no whole answer within 5 s; received: ${text}`);
    await sleep(10);
  }
}

// When the server closed socket (Date.now() then), or null if it is still open after ms.
const closedWithin = (socket, ms) => Promise.race([socket.whenClosed, sleep(ms).then(() => null)]);

// Writes `start` on socket, then one `filler` every 200 ms, never done, until the server closes
// it or ms have passed: when it was closed, or null.
async function trickleUntilClosed(socket, start, filler, ms) {
  socket.write(start);
  const trickle = setInterval(() => socket.writable && socket.write(filler), 200);
  try {
    return await closedWithin(socket, ms);
  } finally {
    clearInterval(trickle);
  }
}

// Whether the server closes socket without answering a request sent on it (within 3 s).
async function refused(socket) {
  socket.write('GET /livez HTTP/1.1\r\nHost: parley.test\r\n\r\n');
  const closedAt = await closedWithin(socket, 3000);
  return closedAt !== null && socket.received.length === 0;
}

// The value of one metric series (name and label text as printed), or 0 if it is absent.
function metric(text, series) {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}

// /metrics through its own short connection (fetch keeps connections of its own open).
async function scrape(server) {
  const socket = await connect(server);
  try {
    const res = await exchange(socket, '/metrics');
    assert.equal(res.status, 200);
    return res.body;
  } finally {
    socket.destroy();
  }
}

// Waits until the connections the harness's fetch left open are closed: the scrape's own
// connection is then the only one.
async function untilAlone(server) {
  await eventually(async () => assert.equal(metric(await scrape(server), 'parley_http_connections_open'), 1), 15_000);
}

describe('issue #14 finding 7: slow and many connections', { skip: needsOwnServer }, () => {
  const servers = [];
  const launch = async (env) => {
    const server = await start({ env });
    servers.push(server);
    return server;
  };
  after(async () => {
    for (const server of servers) await stopCleanly(server);
  });

  test('a slowloris is cut at the header deadline; an idle keep-alive connection is not', async () => {
    const server = await launch({ PARLEY_HTTP_HEADER_TIMEOUT_MS: '1000' });
    const timeouts = async () => metric(await scrape(server), 'parley_http_read_timeouts_total{phase="header"}');
    const before = await timeouts();

    // A keep-alive connection that has had its answer and then says nothing for longer than the
    // header deadline: it waits for its next request as before (the idle wait, 75 s).
    const idle = await connect(server);
    assert.equal((await exchange(idle, '/livez')).status, 200);

    // One header byte every 200 ms, never done.
    const slow = await connect(server);
    const began = Date.now();
    const cut = await trickleUntilClosed(slow, 'GET /livez HTTP/1.1\r\nHost: parley.test\r\n', 'X', 5000);
    assert.ok(cut !== null, 'the slow request is still open 5 s after its first byte');
    const after = cut - began;
    assert.ok(after >= 900 && after < 4000, `cut ${after} ms after its first byte, deadline 1000 ms`);
    assert.equal(slow.received.length, 0, 'no answer to a request that never came whole');

    // A new connection that never says anything is cut at the same deadline, counted from its opening.
    const silent = await connect(server);
    const silentCut = await closedWithin(silent, 5000);
    assert.ok(silentCut !== null, 'a silent new connection is still open after 5 s');

    assert.ok(Date.now() - began > 1500);
    assert.equal((await exchange(idle, '/livez')).status, 200, 'the idle connection still serves');

    // On a kept-alive connection the deadline counts from the next request's first byte, not
    // from the connection's opening.
    await sleep(1200);
    const second = Date.now();
    const secondCut = await trickleUntilClosed(idle, 'GET /livez HTTP/1.1\r\n', 'X', 5000);
    assert.ok(secondCut !== null, 'the slow second request is still open 5 s after its first byte');
    assert.ok(secondCut - second >= 900 && secondCut - second < 4000,
      `the second request cut ${secondCut - second} ms after its first byte, deadline 1000 ms`);
    assert.equal(await timeouts(), before + 3, 'the three header timeouts are counted');
  });

  test('headers in time and a slow body: the body has the whole-request deadline, not the header one', async () => {
    const server = await launch({ PARLEY_HTTP_HEADER_TIMEOUT_MS: '1000', PARLEY_HTTP_READ_TIMEOUT_MS: '2500' });
    const timeouts = async () => metric(await scrape(server), 'parley_http_read_timeouts_total{phase="body"}');
    const before = await timeouts();
    const slow = await connect(server);
    const began = Date.now();
    const headersAndOneByte = 'POST /api/v1/auth/login HTTP/1.1\r\nHost: parley.test\r\nContent-Type: application/json\r\n' +
      'Content-Length: 100\r\n\r\n{';
    const cut = await trickleUntilClosed(slow, headersAndOneByte, ' ', 6000);
    assert.ok(cut !== null, 'the slow body is still coming 6 s after the request began');
    const after = cut - began;
    assert.ok(after >= 2400 && after < 5000, `cut ${after} ms after the request began, deadline 2500 ms`);
    assert.equal(await timeouts(), before + 1, 'counted as a body timeout');
  });

  const caps = [
    { reason: 'per_address', env: { PARLEY_HTTP_MAX_CONNECTIONS_PER_IP: '3' } },
    { reason: 'total', env: { PARLEY_HTTP_MAX_CONNECTIONS: '3' } },
  ];
  for (const { reason, env } of caps) {
    test(`the ${reason} cap refuses the next connection, counts it, and a closed connection frees its place`, async () => {
      const server = await launch(env);
      await untilAlone(server);
      const held = [];
      for (let i = 0; i < 3; i++) {
        const socket = await connect(server);
        assert.equal((await exchange(socket, '/livez')).status, 200, `connection ${i + 1} is served`);
        held.push(socket);
      }
      const countedBefore = metric(await exchange(held[0], '/metrics').then((r) => r.body),
        `parley_http_connections_refused_total{reason="${reason}"}`);
      assert.ok(await refused(await connect(server)), 'a fourth connection is closed without an answer');
      const text = (await exchange(held[0], '/metrics')).body;
      assert.equal(metric(text, `parley_http_connections_refused_total{reason="${reason}"}`), countedBefore + 1);
      assert.equal(metric(text, 'parley_http_connections_open'), 3);

      held.pop().destroy();
      await eventually(async () => {
        const socket = await connect(server);
        try {
          assert.equal((await exchange(socket, '/livez')).status, 200, 'the freed place is taken');
        } finally {
          socket.destroy();
        }
      });
      held.forEach((socket) => socket.destroy());
    });
  }

  test('behind a trusted proxy the per-address cap does not apply (every connection is the gateway\'s)', async () => {
    const server = await launch({ PARLEY_TRUST_PROXY: 'true', PARLEY_HTTP_MAX_CONNECTIONS_PER_IP: '2' });
    const held = [];
    for (let i = 0; i < 4; i++) {
      const socket = await connect(server);
      assert.equal((await exchange(socket, '/livez')).status, 200, `connection ${i + 1} is served`);
      held.push(socket);
    }
    held.forEach((socket) => socket.destroy());
  });

  test('9 parallel polls of one user with a cap of 8: the oldest answers at once with an empty page whose cursor loses nothing, the others stay parked', async () => {
    const server = await launch({ PARLEY_SYNC_MAX_POLLS_PER_USER: '8' });
    const base = server.baseUrl;
    const [alice, bob] = [await registerUser(base), await registerUser(base)];
    const dm = await api(base, 'POST', '/api/v1/conversations', {
      token: alice.access_token, body: { kind: 'direct', user_id: bob.user.id },
    });
    assert.equal(dm.status, 201, dm.text);
    const cursor = (await api(base, 'GET', '/api/v1/sync', { token: alice.access_token })).body.cursor;
    const metrics = async () => (await api(base, 'GET', '/metrics')).text;
    const waiting = async () => metric(await metrics(), 'parley_sync_waiting_polls');
    const early = async () => metric(await metrics(), 'parley_sync_polls_answered_early_total{reason="per_user_cap"}');
    const earlyBefore = await early();
    const waitingBefore = await waiting();

    const polls = [];
    const startPoll = () => {
      const poll = { answered: null };
      poll.promise = api(base, 'GET', `/api/v1/sync?cursor=${enc(cursor)}&timeout_ms=30000`, { token: alice.access_token })
        .then((res) => {
          poll.answered = Date.now();
          return res;
        });
      polls.push(poll);
    };
    for (let i = 0; i < 8; i++) {
      startPoll();
      await eventually(async () => assert.equal(await waiting(), waitingBefore + i + 1, `poll ${i + 1} parked`));
    }
    assert.ok(polls.every((p) => p.answered === null), 'eight polls are held');

    const ninthAt = Date.now();
    startPoll();
    const oldest = await polls[0].promise;
    assert.equal(oldest.status, 200, oldest.text);
    assert.deepEqual(Object.keys(oldest.body).sort(), ['cursor', 'events']);
    assert.deepEqual(oldest.body.events, []);
    assert.equal(typeof oldest.body.cursor, 'string');
    assert.ok(polls[0].answered - ninthAt < 3000, `the oldest answered ${polls[0].answered - ninthAt} ms after the ninth`);
    await eventually(async () => assert.equal(await waiting(), waitingBefore + 8, 'eight polls are parked'));
    await sleep(300);
    assert.ok(polls.slice(1).every((p) => p.answered === null), 'the other eight are still held');
    assert.equal(await early(), earlyBefore + 1, 'counted in /metrics');

    // The empty page's cursor loses nothing: a message sent now comes through it, and reaches the
    // eight that are still parked.
    const sent = await api(base, 'POST', `/api/v1/conversations/${enc(dm.body.id)}/messages`, {
      token: bob.access_token, body: { body: 'after the cap' },
    });
    assert.equal(sent.status, 201, sent.text);
    const next = await api(base, 'GET', `/api/v1/sync?cursor=${enc(oldest.body.cursor)}&timeout_ms=5000`, {
      token: alice.access_token,
    });
    assert.equal(next.status, 200, next.text);
    assert.deepEqual(next.body.events.map((e) => [e.type, e.message?.id]), [['message.created', sent.body.id]]);
    for (const poll of polls.slice(1)) {
      const res = await poll.promise;
      assert.equal(res.status, 200, res.text);
      assert.deepEqual(res.body.events.map((e) => e.message?.id), [sent.body.id]);
    }
  });
});
