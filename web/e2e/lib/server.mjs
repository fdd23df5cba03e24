// The Parley the browser tests talk to: the real all-in-one binary on a fixed port of its own
// (so that a restart comes back where the pages expect it), with its own data directory; or,
// with PARLEY_BASE_URL set, a server that is already running (the distributed stack's gateway).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const webRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const repoRoot = path.resolve(webRoot, '..');
export const external = process.env.PARLEY_BASE_URL?.replace(/\/+$/, '') || null;
const binary = process.env.PARLEY_BIN || path.join(repoRoot, 'build/release/apps/parley/parley');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function freePort() {
  const s = net.createServer();
  await new Promise((resolve, reject) => s.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = s.address();
  await new Promise((resolve) => s.close(resolve));
  return port;
}

export async function startServer() {
  if (external) return { baseUrl: external, restartable: false, stop: async () => {}, start: async () => {}, cleanup: () => {} };
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'parley-e2e-'));
  const baseUrl = `http://127.0.0.1:${port}`;
  let child = null;
  let output = '';
  const server = {
    baseUrl,
    restartable: true,
    output: () => output,
    async start() {
      child = spawn(binary, [], {
        env: {
          ...process.env,
          PARLEY_LISTEN: `127.0.0.1:${port}`,
          PARLEY_DATA_DIR: dataDir,
          PARLEY_WEB_DIR: path.join(webRoot, 'dist'),
          PARLEY_LOG_LEVEL: 'warn',
          PARLEY_SQLITE_SYNC_FULL: 'false',
          PARLEY_ARGON2_MEMORY_KIB: '19456',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout.on('data', (d) => (output += d));
      child.stderr.on('data', (d) => (output += d));
      const deadline = Date.now() + 15_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`parley exited during start:\n${output}`);
        try {
          const res = await fetch(`${baseUrl}/readyz`);
          await res.arrayBuffer();
          if (res.ok) return;
        } catch {
          // not yet listening
        }
        if (Date.now() > deadline) throw new Error(`parley not ready in 15 s:\n${output}`);
        await sleep(50);
      }
    },
    async stop() {
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
    cleanup() {
      if (child && child.exitCode === null) child.kill('SIGKILL');
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
