// The one harness of the black-box API tests: starts the real binary (or uses PARLEY_BASE_URL)
// and offers small helpers to talk to it. The browser tests start their server with it too
// (web/e2e/lib/server.mjs), so it imports nothing but node's built-ins.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const externalBaseUrl = process.env.PARLEY_BASE_URL?.replace(/\/+$/, '') || null;
// Where /livez, /readyz and /metrics answer: the server itself, or, behind the gateway (which does
// not expose them), the service address PARLEY_OPS_URL names.
export const opsUrl = (baseUrl) => process.env.PARLEY_OPS_URL?.replace(/\/+$/, '') || baseUrl;
export const binaryPath = process.env.PARLEY_BIN || path.join(repoRoot, 'build/release/apps/parley/parley');
export const PASSWORD = 'correct horse battery';

// Reason to skip a test that must start, stop or configure its own server.
export const needsOwnServer = externalBaseUrl
  ? 'needs its own server process; PARLEY_BASE_URL is set'
  : false;

// Servers still running and data directories made by this process: cleaned up when it exits.
const running = new Set();
const madeDirs = new Set();
process.on('exit', () => {
  running.forEach((child) => child.kill('SIGKILL'));
  madeDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true }));
});

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// A port nothing listens on at the moment.
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

// Starts a server and waits until it is ready. opts: {env (extra variables), dataDir (reuse one),
// bin (another executable than the all-in-one), port (a fixed one, so that a restart comes back
// where its clients expect it; default a free one)}.
// Its output is kept (server.output()); PARLEY_SHOW_SERVER_OUTPUT=1 also copies it to stderr.
// With PARLEY_BASE_URL set, returns that server; stop() and kill() then do nothing.
export async function start(opts = {}) {
  if (externalBaseUrl) {
    return { baseUrl: externalBaseUrl, dataDir: null, output: () => '', stop: async () => 0, kill: () => {} };
  }
  const port = opts.port ?? (await freePort());
  let dataDir = opts.dataDir;
  if (!dataDir) madeDirs.add((dataDir = await mkdtemp(path.join(tmpdir(), 'parley-api-'))));
  const baseUrl = `http://127.0.0.1:${port}`;
  const bin = opts.bin ?? binaryPath;
  const child = spawn(bin, [], {
    env: {
      ...process.env,
      PARLEY_LISTEN: `127.0.0.1:${port}`,
      PARLEY_DATA_DIR: dataDir,
      PARLEY_LOG_LEVEL: 'warn',
      // The suite registers far more accounts from 127.0.0.1 than a real address would.
      PARLEY_REGISTER_MAX_PER_IP: '100000000',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk) => {
    output += chunk;
    if (process.env.PARLEY_SHOW_SERVER_OUTPUT) process.stderr.write(chunk);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  let spawnError = null;
  child.on('error', (err) => (spawnError = err));
  running.add(child);
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => {
    running.delete(child);
    resolve(code ?? signal);
  }));

  const server = {
    baseUrl,
    dataDir,
    output: () => output,
    // SIGTERM, wait for the exit, return the exit code (or the signal's name); after 10 s
    // without an exit, SIGKILL (and so return 'SIGKILL').
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
    kill() {
      child.kill('SIGKILL');
    },
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    if (spawnError) throw new Error(`cannot start ${bin}: ${spawnError.message}`);
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`server exited before ready (${child.exitCode ?? child.signalCode}):\n${output}`);
    }
    try {
      const res = await fetch(`${baseUrl}/readyz`);
      await res.arrayBuffer();
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      server.kill();
      throw new Error(`server not ready within 15 s:\n${output}`);
    }
    await sleep(50);
  }
  return server;
}

// Stops a server started by start() and asserts a clean exit (printing its output if not).
export async function stopCleanly(server) {
  if (!server || externalBaseUrl) return;
  const code = await server.stop();
  assert.equal(code, 0, `server exited with ${code} after SIGTERM; its output:\n${server.output()}`);
}

// One HTTP call. body is sent as JSON (Content-Type application/json unless headers say
// otherwise); rawBody (string or Buffer) is sent as is.
export async function api(base, method, urlPath, { body, token, headers = {}, rawBody } = {}) {
  const allHeaders = {};
  let payload;
  if (rawBody !== undefined || body !== undefined) {
    payload = rawBody !== undefined ? rawBody : JSON.stringify(body);
    allHeaders['content-type'] = 'application/json';
  }
  if (token) allHeaders.authorization = `Bearer ${token}`;
  for (const [name, value] of Object.entries(headers)) allHeaders[name.toLowerCase()] = value;
  const res = await fetch(base + urlPath, { method, headers: allHeaders, body: payload });
  const text = await res.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: body stays null, text has it
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

export const uniqueName = (prefix = 'u') => prefix + randomBytes(6).toString('hex');

// The API's time format: RFC 3339 UTC with milliseconds.
export const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
// A well-formed id that names nothing.
export const NO_SUCH_ID = '0190aaaa-0000-7000-8000-000000000000';

// Fresh users, registered one after the other (each registration hashes a password).
export async function registerUsers(base, count) {
  const made = [];
  for (let i = 0; i < count; i++) made.push(await registerUser(base));
  return made;
}

// Registers a fresh user; returns {user, access_token, refresh_token, password}.
export async function registerUser(base, overrides = {}) {
  const username = overrides.username ?? uniqueName();
  const request = { username, email: `${username}@example.test`, password: PASSWORD, ...overrides };
  const res = await api(base, 'POST', '/api/v1/auth/register', { body: request });
  assert.equal(res.status, 201, `register ${username}: ${res.status} ${res.text}`);
  if (externalBaseUrl) await untilReplicated(base, res.body);
  return { ...res.body, password: request.password };
}

// In the distributed stack other services learn of a new account from user.registered, a few
// milliseconds after the 201 (in the all-in-one, before it). Tests written for "right after
// registering" wait for that, so that they test behaviour, not a race: the profile exists, and
// contacts knows the user (a request to yourself is 400 for a known user, 404 for an unknown one).
async function untilReplicated(base, registered) {
  const token = registered.access_token;
  await eventually(async () => {
    const me = await api(base, 'GET', '/api/v1/users/me', { token });
    assert.equal(me.status, 200, `profile not there yet: ${me.text}`);
    const self = await api(base, 'POST', '/api/v1/contacts/requests', { token, body: { user_id: registered.user.id } });
    assert.equal(self.status, 400, `contacts does not know the user yet: ${self.text}`);
  });
}

export async function login(base, loginName, password = PASSWORD, headers = {}) {
  return api(base, 'POST', '/api/v1/auth/login', { body: { login: loginName, password }, headers });
}

// Asserts the error envelope {"error":{"code","message","details"?}} with this status and code.
// Returns res.body.error for further checks.
export function expectError(res, status, code) {
  assert.equal(res.status, status, `expected ${status} ${code}, got ${res.status} ${res.text}`);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const error = res.body?.error;
  assert.ok(error && typeof error === 'object', `no error envelope: ${res.text}`);
  assert.equal(error.code, code, `error code: ${res.text}`);
  assert.equal(typeof error.message, 'string');
  assert.ok(error.message.length > 0, 'empty error message');
  const allowed = new Set(['code', 'message', 'details']);
  for (const key of Object.keys(error)) assert.ok(allowed.has(key), `stray field error.${key}`);
  if ('details' in error) assert.equal(typeof error.details, 'object');
  return error;
}

// expectError for invalid_argument that also names the field at fault.
export function expectInvalid(res, field) {
  const error = expectError(res, 400, 'invalid_argument');
  assert.equal(error.details?.field, field, `details.field: ${res.text}`);
  return error;
}

// The decoded header and payload of a JWT (no verification).
export function decodeJwt(token) {
  const [header, payload] = token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url')));
  return { header, payload };
}

// Retries fn (which throws while not yet true) for up to timeoutMs: for effects a 202 promises.
export async function eventually(fn, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

// Every message of a conversation as `user` sees it, oldest first, through the history's
// after_seq pages. request: api() or a client with its arguments (the fault tests' retrying one).
export async function fullHistory(base, user, conversationId, request = api) {
  const all = [];
  let after = 0;
  for (;;) {
    const res = await request(base, 'GET', `/api/v1/conversations/${conversationId}/messages?after_seq=${after}&limit=200`, {
      token: user.access_token,
    });
    assert.equal(res.status, 200, res.text);
    all.push(...res.body.items);
    if (!res.body.has_more) return all;
    after = res.body.items.at(-1).seq;
  }
}

// The cursor of user's sync log now (GET /api/v1/sync without one); request as fullHistory's.
export async function initialCursor(base, user, request = api) {
  const res = await request(base, 'GET', '/api/v1/sync', { token: user.access_token });
  assert.equal(res.status, 200, res.text);
  return res.body.cursor;
}

// Every item of a paged list, in order: calls page(cursor) (undefined first, then each
// next_cursor) until next_cursor is null, asserting each answer is a 200 {items, next_cursor}.
export async function allPages(page, maxPages = 100) {
  const items = [];
  let cursor;
  for (let n = 0; n < maxPages; n++) {
    const res = await page(cursor);
    assert.equal(res.status, 200, res.text);
    assert.ok(Array.isArray(res.body?.items), `no items: ${res.text}`);
    items.push(...res.body.items);
    cursor = res.body.next_cursor;
    if (cursor === null) return items;
    assert.equal(typeof cursor, 'string', `next_cursor: ${res.text}`);
  }
  return assert.fail(`paging did not end within ${maxPages} pages`);
}

// Registers before/after hooks of the calling file that start and stop one server; opts as
// start(), plus setup(baseUrl), awaited once the server is ready (node 20 runs a file's top-level
// before hooks at once, so a second top-level hook could not wait for the server).
// Returns a function giving the running server.
export function useServer({ setup, ...opts } = {}) {
  let server;
  before(async () => {
    server = await start(opts);
    await setup?.(server.baseUrl);
  });
  after(() => stopCleanly(server));
  return () => server;
}

// useServer() and the calls most tests make on that server: {server, base() (its URL),
// call(method, urlPath, who, body, headers) as the registered user `who` (no token for null),
// users(count) (fresh users, as registerUsers)}.
export function useApi(opts) {
  const server = useServer(opts);
  const base = () => server().baseUrl;
  const call = (method, urlPath, who, body, headers) => api(base(), method, urlPath, { token: who?.access_token, body, headers });
  const users = (count) => registerUsers(base(), count);
  return { server, base, call, users };
}
