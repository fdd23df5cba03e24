// Hostile or sloppy input, request ids, routing errors, load; and the operations endpoints.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import net from 'node:net';
import { once } from 'node:events';
import {
  api, eventually, expectError, expectInvalid, login, registerUser, useServer, externalBaseUrl, opsUrl,
} from './lib/harness.mjs';

let alice; // a registered user, for authenticated calls
const server = useServer({ setup: async (baseUrl) => (alice = await registerUser(baseUrl)) });
const base = () => server().baseUrl;

describe('request bodies', () => {
  const malformed = [
    ['truncated JSON', '{"login": "someone", "password": '],
    ['trailing garbage', '{"login": "a", "password": "b"} x'],
    ['single quotes', "{'login': 'a'}"],
    ['invalid UTF-8 in a string', Buffer.concat([
      Buffer.from('{"login": "a'), Buffer.from([0xff, 0xfe]), Buffer.from('", "password": "12345678"}'),
    ])],
  ];
  for (const [name, rawBody] of malformed) {
    test(`${name} answers 400 malformed_json`, async () => {
      expectError(await api(base(), 'POST', '/api/v1/auth/login', { rawBody }), 400, 'malformed_json');
    });
  }

  test('JSON that is not an object answers 400 invalid_argument', async () => {
    for (const rawBody of ['[]', '"text"', '42', 'null']) {
      expectError(await api(base(), 'POST', '/api/v1/auth/login', { rawBody }), 400, 'invalid_argument');
    }
  });

  test('a content type other than JSON answers 415', async () => {
    const requests = [
      ['POST', '/api/v1/auth/login', 'text/plain'],
      ['POST', '/api/v1/auth/register', 'application/x-www-form-urlencoded'],
      ['PATCH', '/api/v1/users/me', 'text/json'],
      ['DELETE', '/api/v1/auth/account', 'text/plain'],
    ];
    for (const [method, path, type] of requests) {
      const res = await api(base(), method, path, {
        token: alice.access_token, body: { password: 'x' }, headers: { 'content-type': type },
      });
      expectError(res, 415, 'unsupported_media_type');
    }
  });

  test('application/json with a charset is accepted', async () => {
    const res = await api(base(), 'PATCH', '/api/v1/users/me', {
      token: alice.access_token, body: {}, headers: { 'content-type': 'application/json; charset=utf-8' },
    });
    assert.equal(res.status, 200, res.text);
  });

  test('a 2 MB body answers 413', async () => {
    const rawBody = `{"login": "${'a'.repeat(2 * 1024 * 1024)}", "password": "12345678"}`;
    expectError(await api(base(), 'POST', '/api/v1/auth/login', { rawBody }), 413, 'payload_too_large');
    assert.equal((await api(opsUrl(base()), 'GET', '/livez')).status, 200);
  });
});

describe('routing', () => {
  // (GET / is the web app's when it is built: web-static.test.mjs.)
  test('an unknown route answers 404 not_found', async () => {
    const unknown = [['GET', '/api/v1/nope'], ['POST', '/api/v1/auth/nope'], ['GET', '/api/v2/users/me'],
      ['GET', '/internal/nope']];
    for (const [method, path] of unknown) {
      expectError(await api(base(), method, path, { token: alice.access_token }), 404, 'not_found');
    }
  });

  test('a wrong method answers 405 with Allow', async () => {
    const cases = [
      ['DELETE', '/api/v1/auth/login', ['POST']],
      ['GET', '/api/v1/auth/register', ['POST']],
      ['PUT', '/api/v1/users/me', ['GET', 'PATCH']],
      ['PUT', '/api/v1/sync', ['GET']],
    ];
    for (const [method, path, allowed] of cases) {
      const res = await api(base(), method, path, { token: alice.access_token });
      expectError(res, 405, 'method_not_allowed');
      const allow = (res.headers.get('allow') ?? '').split(',').map((m) => m.trim());
      for (const m of allowed) assert.ok(allow.includes(m), `${method} ${path}: Allow "${allow}" lacks ${m}`);
    }
  });
});

describe('X-Request-Id', () => {
  const idOf = async (path, sent) => {
    const res = await api(base(), 'GET', path, { headers: sent === undefined ? {} : { 'x-request-id': sent } });
    return res.headers.get('x-request-id');
  };

  test('every response has one', async () => {
    for (const path of ['/api/v1/auth/jwks', '/api/v1/users/me', '/api/v1/nope']) {
      assert.match((await idOf(path)) ?? '', /^[A-Za-z0-9._:-]{1,128}$/, path);
    }
  });

  test('a sane client id is echoed', async () => {
    for (const sent of ['abc-123', 'trace:42.a_b', 'x'.repeat(128)]) {
      assert.equal(await idOf('/api/v1/auth/jwks', sent), sent);
    }
  });

  test('a sane client id is echoed when the body is refused as too large', async () => {
    const rawBody = `{"login": "${'a'.repeat(2 * 1024 * 1024)}", "password": "12345678"}`;
    const res = await api(base(), 'POST', '/api/v1/auth/login', { rawBody, headers: { 'x-request-id': 'big-body-7' } });
    expectError(res, 413, 'payload_too_large');
    assert.equal(res.headers.get('x-request-id'), 'big-body-7');
  });

  test('an insane client id is replaced', async () => {
    for (const sent of ['x'.repeat(200), 'has spaces', 'semi;colon', '<script>']) {
      const got = await idOf('/api/v1/auth/jwks', sent);
      assert.notEqual(got, sent);
      assert.match(got ?? '', /^[A-Za-z0-9._:-]{1,128}$/);
    }
  });
});

describe('SQL-looking input', () => {
  const sql = "Robert'); DROP TABLE users;--";

  test('is stored and returned literally', async () => {
    const body = { display_name: sql, bio: `${sql}\n' OR '1'='1` };
    const res = await api(base(), 'PATCH', '/api/v1/users/me', { token: alice.access_token, body });
    assert.equal(res.status, 200, res.text);
    const profile = (await api(base(), 'GET', `/api/v1/users/${alice.user.id}`, { token: alice.access_token })).body;
    assert.equal(profile.display_name, body.display_name);
    assert.equal(profile.bio, body.bio);
    const found = await api(base(), 'GET', `/api/v1/users?query=${encodeURIComponent("Robert')")}`, { token: alice.access_token });
    assert.equal(found.status, 200, found.text);
    assert.ok(found.body.items.some((p) => p.id === alice.user.id));
  });

  test('does not get anyone in or out', async () => {
    expectError(await login(base(), "' OR '1'='1", "' OR '1'='1"), 401, 'invalid_credentials');
    const path = `/api/v1/users/${encodeURIComponent("x' OR '1'='1")}`;
    expectError(await api(base(), 'GET', path, { token: alice.access_token }), 404, 'not_found');
    const all = await api(base(), 'GET', `/api/v1/users?query=${encodeURIComponent("' OR 1=1--")}`, { token: alice.access_token });
    assert.equal(all.status, 200, all.text);
    assert.deepEqual(all.body.items, []);
  });
});

describe('load', () => {
  test('200 concurrent requests, half malformed, all answered correctly', async () => {
    const valid = (i) => (i % 20 === 1
      ? [login(base(), alice.user.username), 200]
      : [api(base(), 'GET', '/api/v1/users/me', { token: alice.access_token }), 200]);
    const broken = () => [api(base(), 'POST', '/api/v1/auth/refresh', { rawBody: '{"refresh_token": ' }), 400];
    const calls = Array.from({ length: 200 }, (_, i) => (i % 2 ? valid(i) : broken()));
    const results = await Promise.allSettled(calls.map(([promise]) => promise));
    const wrong = results
      .map((r, i) => [i, r.value?.status ?? String(r.reason), calls[i][1]])
      .filter(([, got, want]) => got !== want);
    assert.deepEqual(wrong, [], 'requests answered with the wrong status');
    assert.equal((await api(opsUrl(base()), 'GET', '/livez')).status, 200);
  });
});

// Sum of a counter's samples whose labels include all of `labels`.
function counterSum(metricsText, name, labels) {
  let sum = 0;
  for (const line of metricsText.split('\n')) {
    const match = line.match(/^(\w+)\{(.*)\}\s+(\S+)/);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...match[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) sum += Number(match[3]);
  }
  return sum;
}

describe('operations', () => {
  test('livez and readyz answer 200', async () => {
    for (const path of ['/livez', '/readyz']) assert.equal((await api(opsUrl(base()), 'GET', path)).status, 200, path);
  });

  test('metrics count requests by route and status', async () => {
    const scrape = async () => {
      const res = await api(opsUrl(base()), 'GET', '/metrics');
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
      return res.text;
    };
    const first = await scrape();
    assert.match(first, /^parley_http_requests_total\{[^}]*route="[^"]+"[^}]*status="\d{3}"[^}]*\} \d/m);
    assert.match(first, /^parley_http_request_duration_seconds_bucket\{/m);
    const route = { route: '/api/v1/users/me', status: '200' };
    const before = counterSum(first, 'parley_http_requests_total', route);
    for (let i = 0; i < 3; i++) await api(base(), 'GET', '/api/v1/users/me', { token: alice.access_token });
    const after = counterSum(await scrape(), 'parley_http_requests_total', route);
    assert.ok(after >= before + 3, `counter went from ${before} to ${after}`);
  });

  test('metrics show open long polls, database write queues and outbox depth', {
    skip: externalBaseUrl ? 'one process holding every service (the all-in-one) is what this reads' : false,
  }, async () => {
    const scrape = async () => (await api(base(), 'GET', '/metrics')).text;
    const idle = await scrape();
    for (const service of ['auth', 'users', 'contacts', 'messages']) {
      assert.match(idle, new RegExp(`^parley_db_write_queue\\{service="${service}"\\} \\d`, 'm'), service);
      assert.match(idle, new RegExp(`^parley_outbox_depth\\{service="${service}"\\} \\d`, 'm'), service);
    }
    const gauge = (text) => Number(text.match(/^parley_sync_waiting_polls (\S+)/m)?.[1]);
    const waitingBefore = gauge(idle);
    const cursor = (await api(base(), 'GET', '/api/v1/sync', { token: alice.access_token })).body.cursor;
    const poll = api(base(), 'GET', `/api/v1/sync?cursor=${encodeURIComponent(cursor)}&timeout_ms=1500`, {
      token: alice.access_token,
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(gauge(await scrape()), waitingBefore + 1, 'a parked poll is counted');
    assert.equal((await poll).status, 200);
    assert.equal(gauge(await scrape()), waitingBefore, 'and uncounted once answered');
  });

  test('a waiting poll whose client hangs up is let go at once, not at its timeout', {
    skip: externalBaseUrl ? 'one process holding every service (the all-in-one) is what this reads' : false,
  }, async () => {
    const gauge = async () => Number((await api(base(), 'GET', '/metrics')).text.match(/^parley_sync_waiting_polls (\S+)/m)?.[1]);
    const before = await gauge();
    const cursor = (await api(base(), 'GET', '/api/v1/sync', { token: alice.access_token })).body.cursor;
    const { hostname: host, port } = new URL(base());
    const sockets = [];
    for (let i = 0; i < 5; i++) {  // a client that opens polls and drops them, again and again
      const socket = net.connect(Number(port), host);
      await once(socket, 'connect');
      socket.write(`GET /api/v1/sync?cursor=${encodeURIComponent(cursor)}&timeout_ms=60000 HTTP/1.1\r\n` +
        `Host: ${host}\r\nAuthorization: Bearer ${alice.access_token}\r\n\r\n`);
      sockets.push(socket);
    }
    await eventually(async () => assert.equal(await gauge(), before + 5, 'the polls are parked'));
    for (const socket of sockets) socket.destroy();
    await eventually(async () => assert.equal(await gauge(), before, 'the polls were let go'), 3000);
    // The server is fine and a poll still waits and answers as before.
    const poll = await api(base(), 'GET', `/api/v1/sync?cursor=${encodeURIComponent(cursor)}&timeout_ms=300`, { token: alice.access_token });
    assert.equal(poll.status, 200, poll.text);
  });
});
