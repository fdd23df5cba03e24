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

test('after a restart, access tokens of logged-out sessions and deleted accounts are still refused', { skip: needsOwnServer }, async () => {
  await stopCleanly(server);  // the previous test's; after() stops the last one
  server = await start();
  const alice = await registerUser(server.baseUrl);
  const bob = await registerUser(server.baseUrl);
  const conversations = (token) => api(server.baseUrl, 'GET', '/api/v1/conversations', { token });
  const out = await api(server.baseUrl, 'POST', '/api/v1/auth/logout', {
    token: alice.access_token, body: { refresh_token: alice.refresh_token },
  });
  assert.equal(out.status, 204, out.text);
  const gone = await api(server.baseUrl, 'DELETE', '/api/v1/auth/account', {
    token: bob.access_token, body: { password: bob.password },
  });
  assert.equal(gone.status, 202, gone.text);
  for (const who of [alice, bob]) assert.equal((await conversations(who.access_token)).status, 401);

  assert.equal(await server.stop(), 0, server.output());
  server = await start({ dataDir: server.dataDir });
  // The tokens themselves are still unexpired and well signed: only the revocations refuse them.
  for (const who of [alice, bob]) {
    const res = await conversations(who.access_token);
    assert.equal(res.status, 401, `${who.user.username}: ${res.status} ${res.text}`);
  }
  const fresh = await login(server.baseUrl, alice.user.username);
  assert.equal(fresh.status, 200, fresh.text);
  assert.equal((await conversations(fresh.body.access_token)).status, 200);
});
