// State survives a graceful restart on the same data directory.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { api, login, needsOwnServer, registerUser, start, stopCleanly } from './lib/harness.mjs';

let server;
after(() => stopCleanly(server));

test('accounts and sessions survive a restart', { skip: needsOwnServer }, async () => {
  server = await start();
  const alice = await registerUser(server.baseUrl);

  const stopping = Date.now();
  const code = await server.stop();
  assert.equal(code, 0, `exit code after SIGTERM; output:\n${server.output()}`);
  assert.ok(Date.now() - stopping < 5000, 'SIGTERM took 5 s or more');

  server = await start({ dataDir: server.dataDir });
  const res = await login(server.baseUrl, alice.user.username);
  assert.equal(res.status, 200, res.text);
  assert.equal(res.body.user.id, alice.user.id);

  const rotated = await api(server.baseUrl, 'POST', '/api/v1/auth/refresh', { body: { refresh_token: alice.refresh_token } });
  assert.equal(rotated.status, 200, rotated.text);
  const me = await api(server.baseUrl, 'GET', '/api/v1/users/me', { token: rotated.body.access_token });
  assert.equal(me.status, 200, me.text);
  assert.equal(me.body.id, alice.user.id);
});
