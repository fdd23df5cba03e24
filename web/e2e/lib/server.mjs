// The Parley the browser tests talk to: the real all-in-one binary, started by the API tests'
// harness (tests/api/lib/harness.mjs, node built-ins only), on a fixed port of its own (so that a
// restart comes back where the pages expect it), with its own data directory; or, with
// PARLEY_BASE_URL set, a server that is already running (the distributed stack's gateway).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { externalBaseUrl, freePort, start as startBinary } from '../../../tests/api/lib/harness.mjs';

export const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const repoRoot = path.resolve(webRoot, '..');
export const external = externalBaseUrl;

export async function startServer() {
  if (external) return { baseUrl: external, restartable: false, stop: async () => {}, start: async () => {}, cleanup: () => {} };
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-e2e-'));
  const env = {
    PARLEY_WEB_DIR: path.join(webRoot, 'dist'),
    PARLEY_SQLITE_SYNC_FULL: 'false',
    PARLEY_ARGON2_MEMORY_KIB: '19456',
  };
  let running = null;
  const server = {
    baseUrl: `http://127.0.0.1:${port}`,
    restartable: true,
    output: () => running?.output() ?? '',
    async start() {
      running = await startBinary({ port, dataDir, env });
    },
    async stop() {
      await running?.stop();
    },
    cleanup() {
      running?.kill();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  await server.start();
  return server;
}

// Talks to the API directly (setting up data a test needs, checking what was stored).
export async function apiCall(baseUrl, method, pathname, { token, body } = {}) {
  const res = await fetch(baseUrl + pathname, {
    method,
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null, headers: res.headers };
}
