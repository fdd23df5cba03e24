// Regression tests for the outside security review of auth (issue #14), one per finding, named
// after it. Each needs a server of its own (its own settings, client addresses taken from
// X-Real-IP with PARLEY_TRUST_PROXY), so they are skipped behind the gateway.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, test } from 'node:test';
import {
  PASSWORD, api, binaryPath, expectError, needsOwnServer, start, stopCleanly, uniqueName,
} from '../api/lib/harness.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Calls from one client address (the server trusts X-Real-IP).
const from = (ip) => ({
  register: (at, username, extra = {}) => api(at, 'POST', '/api/v1/auth/register', {
    body: { username, email: `${username}@example.test`, password: PASSWORD, ...extra }, headers: { 'x-real-ip': ip },
  }),
  login: (at, loginName, password = PASSWORD) => api(at, 'POST', '/api/v1/auth/login', {
    body: { login: loginName, password }, headers: { 'x-real-ip': ip },
  }),
  changePassword: (at, token, current, next = 'a brand new password') => api(at, 'POST', '/api/v1/auth/password', {
    token, body: { current_password: current, new_password: next }, headers: { 'x-real-ip': ip },
  }),
  deleteAccount: (at, token, password) => api(at, 'DELETE', '/api/v1/auth/account', {
    token, body: { password }, headers: { 'x-real-ip': ip },
  }),
});

const OWNER = from('198.51.100.7');
const STRANGER = from('203.0.113.66');
const WRONG = 'not the password';

// A 429 rate_limited answer; returns details.retry_after_ms.
function expectRateLimited(res) {
  const error = expectError(res, 429, 'rate_limited');
  assert.equal(typeof error.details?.retry_after_ms, 'number');
  assert.ok(error.details.retry_after_ms > 0);
  assert.match(res.headers.get('retry-after') ?? '', /^[1-9]\d*$/);
  return error.details.retry_after_ms;
}

async function withServer(env, fn) {
  const server = await start({ env: { PARLEY_TRUST_PROXY: 'true', ...env } });
  try {
    await fn(server.baseUrl);
  } finally {
    await stopCleanly(server);
  }
}

async function registered(at, who = OWNER) {
  const username = uniqueName('v');
  const res = await who.register(at, username);
  assert.equal(res.status, 201, res.text);
  return res.body;
}

describe('issue #14', { skip: needsOwnServer }, () => {
  test('finding 1: a stranger cannot lock the owner out, and a lockout does not tell which email is whose', () => withServer({}, async (at) => {
    const victim = await registered(at);
    const other = await registered(at);
    // Ten wrong passwords (the default) for the victim's username and for its email, from the stranger.
    for (const loginName of [victim.user.username, victim.user.email]) {
      for (let i = 0; i < 10; i++) expectError(await STRANGER.login(at, loginName, WRONG), 401, 'invalid_credentials');
    }
    // The stranger is slowed down on those logins (even with the right password, from there) ...
    const firstWait = expectRateLimited(await STRANGER.login(at, victim.user.username, WRONG));
    assert.ok(firstWait <= 1000, `first delay ${firstWait} ms`);
    expectRateLimited(await STRANGER.login(at, victim.user.email));
    // ... by delays that grow, not by a lock: after the delay, one more guess is checked, and the
    // next delay is longer.
    await sleep(firstWait + 50);
    expectError(await STRANGER.login(at, victim.user.username, WRONG), 401, 'invalid_credentials');
    const secondWait = expectRateLimited(await STRANGER.login(at, victim.user.username, WRONG));
    assert.ok(secondWait > 1000 && secondWait <= 2000, `second delay ${secondWait} ms`);

    // The owner, from their own address: username and email sign in, and password change and
    // account deletion work.
    const byName = await OWNER.login(at, victim.user.username);
    assert.equal(byName.status, 200, byName.text);
    assert.equal((await OWNER.login(at, victim.user.email)).status, 200);
    const changed = await OWNER.changePassword(at, byName.body.access_token, PASSWORD, 'another good password');
    assert.equal(changed.status, 204, changed.text);
    const gone = await OWNER.deleteAccount(at, byName.body.access_token, 'another good password');
    assert.equal(gone.status, 202, gone.text);

    // Same answer for an email whatever the lockout state of its username: the stranger locks
    // other's username, then tries other's email, an unknown email and an unknown username.
    for (let i = 0; i < 10; i++) expectError(await STRANGER.login(at, other.user.username, WRONG), 401, 'invalid_credentials');
    expectRateLimited(await STRANGER.login(at, other.user.username, WRONG));
    const answers = await Promise.all([
      STRANGER.login(at, other.user.email, WRONG),
      STRANGER.login(at, `${uniqueName('nobody')}@example.test`, WRONG),
      STRANGER.login(at, uniqueName('nobody'), WRONG),
    ]);
    for (const res of answers) expectError(res, 401, 'invalid_credentials');
    assert.deepEqual(new Set(answers.map((res) => res.text)).size, 1, 'the answers differ');
  }));

  test('finding 2: registrations are limited per address', () => withServer({ PARLEY_REGISTER_MAX_PER_IP: '5' }, async (at) => {
    const flood = from('192.0.2.10');
    for (let i = 0; i < 5; i++) {
      const res = await flood.register(at, uniqueName('r'));
      assert.equal(res.status, 201, res.text);
    }
    expectRateLimited(await flood.register(at, uniqueName('r')));
    const elsewhere = await from('192.0.2.11').register(at, uniqueName('r'));
    assert.equal(elsewhere.status, 201, elsewhere.text);
  }));

  test('finding 2: a taken username or email answers 409 without spending Argon2id', () => withServer(
    { PARLEY_HASH_THREADS: '1', PARLEY_ARGON2_OPS: '40' },
    async (at) => {
      // One hash, timed: the registration of the account.
      const t0 = Date.now();
      const taken = await registered(at);
      const oneHash = Date.now() - t0;
      // Twenty attempts at once on its username, and twenty on its email: with one hashing thread,
      // hashing each would take twenty hashes' time.
      const t1 = Date.now();
      const answers = await Promise.all(Array.from({ length: 20 }, () => [
        OWNER.register(at, taken.user.username, { email: `${uniqueName('e')}@example.test` }),
        OWNER.register(at, uniqueName('n'), { email: taken.user.email }),
      ]).flat());
      const elapsed = Date.now() - t1;
      answers.forEach((res, i) => expectError(res, 409, i % 2 === 0 ? 'username_taken' : 'email_taken'));
      assert.ok(elapsed < 5 * oneHash, `40 taken registrations took ${elapsed} ms; one hash takes ${oneHash} ms`);
    },
  ));

  test('finding 2: a flood of registrations does not refuse logins', () => withServer({ PARLEY_HASH_THREADS: '1' }, async (at) => {
    const user = await registered(at);
    const flood = Array.from({ length: 320 }, () => OWNER.register(at, uniqueName('f')));
    await sleep(100);
    const logins = [];
    for (let i = 0; i < 5; i++) {
      logins.push(from(`198.51.100.${20 + i}`).login(at, user.user.username));
      await sleep(50);
    }
    const loginAnswers = await Promise.all(logins);
    const floodAnswers = await Promise.all(flood);
    for (const res of loginAnswers) assert.equal(res.status, 200, `a login during the flood: ${res.status} ${res.text}`);
    const statuses = floodAnswers.map((res) => res.status);
    assert.ok(statuses.every((s) => s === 201 || s === 503), `flood answers: ${[...new Set(statuses)]}`);
  }));

  for (const [name, attempt] of [
    ['password change', (at, token, password) => OWNER.changePassword(at, token, password)],
    ['account deletion', (at, token, password) => OWNER.deleteAccount(at, token, password)],
  ]) {
    test(`finding 5: parallel guesses on ${name} get no more checks than the free failures`, () => withServer(
      { PARLEY_LOGIN_MAX_FAILURES: '3' },
      async (at) => {
        const victim = await registered(at);
        const answers = await Promise.all(Array.from({ length: 40 }, () => attempt(at, victim.access_token, WRONG)));
        const checked = answers.filter((res) => res.status === 401);
        for (const res of checked) expectError(res, 401, 'invalid_credentials');
        for (const res of answers.filter((r) => r.status !== 401)) expectRateLimited(res);
        assert.ok(checked.length <= 3, `${checked.length} of 40 guesses were checked; 3 are free`);
        // Still throttled from there, even with the right password ...
        expectRateLimited(await attempt(at, victim.access_token, PASSWORD));
        // ... and the guesses never stopped the owner's login.
        assert.equal((await from('198.51.100.99').login(at, victim.user.username)).status, 200);
      },
    ));
  }

  test('finding 8: a revoked token stays refused until its exp plus the leeway, with the longest lifetime', {
    skip: 'needs an hour of wall clock (PARLEY_ACCESS_TOKEN_TTL_S=3600 plus the 30 s leeway); held by the unit test '
      + 'SubscribeRevocations.KeepsARevocationUntilTheLongestLivedTokenHasExpiredWithItsLeeway (libs/service/host_test.cpp)',
  }, () => {});

  test('finding 9a: a second process on the same data directory stops at once (exit status 2)', async () => {
    const first = await start();
    try {
      const child = spawn(binaryPath, [], {
        env: { ...process.env, PARLEY_LISTEN: '127.0.0.1:0', PARLEY_DATA_DIR: first.dataDir, PARLEY_LOG_LEVEL: 'warn' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk) => (output += chunk));
      child.stderr.on('data', (chunk) => (output += chunk));
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await new Promise((resolve) => child.on('exit', (c, signal) => resolve(c ?? signal)));
      clearTimeout(timer);
      assert.equal(code, 2, output);
      assert.match(output, /PARLEY_DATA_DIR: .* is in use by another parley process \(pid \d+\)/);
      // The first one serves on.
      assert.equal((await api(first.baseUrl, 'GET', '/readyz')).status, 200);
      const res = await OWNER.register(first.baseUrl, uniqueName('after'));
      assert.equal(res.status, 201, res.text);
    } finally {
      await stopCleanly(first);
    }
    // Once it has exited, the directory is free again.
    const next = await start({ dataDir: first.dataDir });
    await stopCleanly(next);
  });
});
