// scripts/stack: the distributed Parley on one machine behind the nginx gateway.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NO_SUCH_ID, api, eventually, needsOwnServer, registerUser, repoRoot } from './lib/harness.mjs';

const stack = path.join(repoRoot, 'scripts/stack');
const PORT = 18190; // apart from a developer's own stack on 8090
const stateDir = path.join(repoRoot, 'build/stack');
const env = { ...process.env, PARLEY_STACK_PORT: String(PORT), PARLEY_STACK_DIR: stateDir };
const gateway = `http://127.0.0.1:${PORT}`;
const pids = () => ['auth', 'users', 'contacts', 'messages1', 'messages2']
  .map((s) => path.join(stateDir, `${s}.pid`)).filter(existsSync)
  .map((f) => Number(readFileSync(f, 'utf8')));
// Exists and has not exited (a zombie, not reaped yet by its parent, has exited).
const alive = (pid) => { try { return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); } catch { return false; } };

describe('scripts/stack', { skip: needsOwnServer }, () => {
  let started = [];
  before(() => {
    const out = execFileSync(stack, ['up'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    assert.match(out, new RegExp(`running at ${gateway}`));
    started = pids();
  });
  after(() => execFileSync(stack, ['down'], { env, stdio: 'inherit' }));

  test('status reports every service and the gateway', () => {
    const out = execFileSync(stack, ['status'], { env, encoding: 'utf8' });
    for (const s of ['auth', 'users', 'contacts', 'messages1', 'messages2']) assert.match(out, new RegExp(`${s}: ready`));
    assert.match(out, /gateway: http/);
  });

  test('the gateway routes each area to its service', async () => {
    const alice = await registerUser(gateway);
    await eventually(async () => {
      const me = await api(gateway, 'GET', '/api/v1/users/me', { token: alice.access_token });
      assert.equal(me.status, 200, me.text);
    });
    for (const p of ['/api/v1/contacts', '/api/v1/blocks', '/api/v1/conversations', '/api/v1/sync']) {
      assert.equal((await api(gateway, 'GET', p, { token: alice.access_token })).status, 200, p);
    }
  });

  test('operations and internal endpoints are not reachable through the gateway', async () => {
    for (const p of ['/metrics', '/livez', '/readyz', '/internal/v1/users']) {
      assert.equal((await api(gateway, 'GET', p)).status, 404, p);
    }
  });

  test('every service shares one service credential, kept in a 0600 file', async () => {
    const file = path.join(stateDir, 'service-token');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const authorization = `Service ${readFileSync(file, 'utf8').trim()}`;
    const internal = { 1: 'account', 2: 'profile', 3: 'contacts', 4: 'conversations', 5: 'conversations' };
    for (const [offset, what] of Object.entries(internal)) {
      const url = `http://127.0.0.1:${PORT + Number(offset)}/internal/v1/users/${NO_SUCH_ID}/${what}`;
      assert.equal((await api(url, 'GET', '', { headers: { authorization } })).status, 404, url);  // accepted: no such user
      assert.equal((await api(url, 'GET', '')).status, 401, url);
    }
  });

  test('the gateway answers its own refusals in the error envelope and forwards request ids', async () => {
    const big = await api(gateway, 'POST', '/api/v1/auth/login', { rawBody: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(big.status, 413);
    assert.equal(big.body.error.code, 'payload_too_large');
    const res = await api(gateway, 'GET', '/api/v1/auth/jwks', { headers: { 'x-request-id': 'trace-me-1' } });
    assert.equal(res.headers.get('x-request-id'), 'trace-me-1');
  });

  test('down stops exactly what up started', () => {
    assert.equal(started.length, 5);
    execFileSync(stack, ['down'], { env, stdio: 'inherit' });
    assert.deepEqual(started.filter(alive), []);
    assert.throws(() => execFileSync(stack, ['status'], { env, stdio: 'ignore' }));
  });
});
