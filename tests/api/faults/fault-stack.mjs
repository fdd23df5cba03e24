// What the fault tests share: the distributed stack they may disturb (scripts/stack with its own
// port and state directory, never the one the API suite uses), and clients that behave as real
// ones do under faults: they retry a 5xx or a network error, a send with the same client_id.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { api, fullHistory as fullHistoryAt, initialCursor as initialCursorAt, PASSWORD, repoRoot } from '../lib/harness.mjs';

const port = Number(process.env.PARLEY_STACK_PORT) || 0;
const stateDir = process.env.PARLEY_STACK_DIR ? path.resolve(repoRoot, process.env.PARLEY_STACK_DIR) : null;

// Reason to skip: these tests stop the broker and the database, so they never pick a stack by
// themselves. scripts/test brings one up for them (see its "fault tests" stage).
export const needsFaultStack = port && stateDir && process.env.PARLEY_BASE_URL
  ? false
  : 'needs a stack it may disturb: PARLEY_STACK_PORT, PARLEY_STACK_DIR and PARLEY_BASE_URL (scripts/test sets them)';

export const gateway = `http://127.0.0.1:${port}`;
export const SERVICES = ['auth', 'users', 'contacts', 'messages1', 'messages2'];
const offset = { auth: 1, users: 2, contacts: 3, messages1: 4, messages2: 5 };
export const serviceUrl = (name) => `http://127.0.0.1:${port + offset[name]}`;

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// scripts/stack stop|start|restart PART on this stack (PART: a service, mariadb or rabbitmq).
export function stack(action, part) {
  const env = { ...process.env, PARLEY_STACK_PORT: String(port), PARLEY_STACK_DIR: stateDir };
  execFileSync(path.join(repoRoot, 'scripts/stack'), [action, part], { env, stdio: ['ignore', 'ignore', 'inherit'] });
}

// The pid scripts/stack recorded for a service it started.
export const pidOf = (name) => Number(readFileSync(path.join(stateDir, `${name}.pid`), 'utf8'));

// kill -9 of one service process the stack started (by its recorded pid).
export function kill9(name) {
  const pid = pidOf(name);
  process.kill(pid, 'SIGKILL');
  return pid;
}

// The process exists and has not exited (a zombie, killed but not reaped yet, has).
export const alive = (pid) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

// A service's /readyz status (0 when it does not answer).
export async function readyz(name) {
  try {
    const res = await fetch(`${serviceUrl(name)}/readyz`, { signal: AbortSignal.timeout(5000) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

// Waits until every named service answers /readyz 200; returns how long that took (ms).
export async function untilReady(names = SERVICES, timeoutMs = 30_000) {
  const started = Date.now();
  for (;;) {
    const statuses = await Promise.all(names.map(readyz));
    if (statuses.every((s) => s === 200)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) {
      assert.fail(`not ready after ${timeoutMs} ms: ${names.map((n, i) => `${n} ${statuses[i]}`).join(', ')}`);
    }
    await sleep(100);
  }
}

// The value of one sample of a service's /metrics (the whole line before the value, labels
// included, e.g. 'parley_amqp_connections_lost_total{link="publisher"}'); 0 when absent.
export async function metric(name, sample) {
  const text = await (await fetch(`${serviceUrl(name)}/metrics`, { signal: AbortSignal.timeout(5000) })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `));
  return line ? Number(line.split(/\s+/).at(-1)) : 0;
}

// The broker's process (its pid file, scripts/test-servers), for SIGSTOP and SIGCONT.
export const brokerPid = () => Number(readFileSync(path.join(stateDir, 'rabbitmq/pid'), 'utf8'));

// Deletes queues from this stack's broker, as if it had never had them.
export function deleteQueues(...queues) {
  const env = { ...process.env, PARLEY_TEST_AMQP_PORT: String(port + 10000) };
  execFileSync(path.join(repoRoot, 'scripts/test-servers'), ['delete-queues', 'rabbitmq', stateDir, ...queues], {
    env, stdio: ['ignore', 'ignore', 'inherit'],
  });
}

// The AMQP heartbeat the stack's services use (PARLEY_AMQP_HEARTBEAT_S, as scripts/test sets it
// for the stack and these tests alike; 10 s by default), in ms.
export const heartbeatMs = (Number(process.env.PARLEY_AMQP_HEARTBEAT_S) || 10) * 1000;

// A call that needs a valid access token, on each service's own address (both messages replicas).
const AUTHENTICATED = {
  auth: '/api/v1/auth/sessions', users: '/api/v1/users/me', contacts: '/api/v1/contacts',
  messages1: '/api/v1/conversations', messages2: '/api/v1/conversations',
};

// What each service answers to the token: {auth: 200, users: 401, ...}.
export async function tokenStatuses(token) {
  const statuses = await Promise.all(SERVICES.map(async (s) => {
    try {
      return (await api(serviceUrl(s), 'GET', AUTHENTICATED[s], { token })).status;
    } catch {
      return 0;
    }
  }));
  return Object.fromEntries(SERVICES.map((s, i) => [s, statuses[i]]));
}

// Waits until every service answers the token with status; returns how long it took (ms), or
// fails with what they answered last.
export async function untilEveryService(token, status, timeoutMs = 20_000) {
  const started = Date.now();
  for (;;) {
    const statuses = await tokenStatuses(token);
    if (Object.values(statuses).every((s) => s === status)) return Date.now() - started;
    if (Date.now() - started > timeoutMs) assert.fail(`not ${status} everywhere after ${timeoutMs} ms: ${JSON.stringify(statuses)}`);
    await sleep(100);
  }
}

// Events a service's consumers gave up on (parley_events_dead_lettered_total).
export async function deadLettered(name) {
  const text = await (await fetch(`${serviceUrl(name)}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('parley_events_dead_lettered_total'));
  return line ? Number(line.split(/\s+/).at(-1)) : 0;
}

export async function deadLetteredEverywhere() {
  const counts = await Promise.all(SERVICES.map(deadLettered));
  return Object.fromEntries(SERVICES.map((s, i) => [s, counts[i]]));
}

// Tallies what clients saw: answers by status, network errors, retries.
export class Tally {
  constructor() {
    this.statuses = {};
    this.networkErrors = 0;
    this.retries = 0;
  }
  saw(status, text) {
    this.statuses[status] = (this.statuses[status] ?? 0) + 1;
    if (status >= 500) (this.samples ??= {})[status] ??= text;
  }
  toString() {
    const s = Object.entries(this.statuses).map(([k, v]) => `${k}×${v}`).join(' ');
    return `answers ${s || 'none'}, network errors ${this.networkErrors}, retries ${this.retries}`;
  }
}

const retryable = (status) => status >= 500;

// One call, retried (same request) after a 5xx or a network error until it gets another answer
// or deadlineMs passes (then the last answer is returned, or the network error thrown).
export async function persist(base, method, urlPath, opts = {}, { tally, deadlineMs = 30_000, onRetry } = {}) {
  const deadline = Date.now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    let res = null;
    let error = null;
    try {
      res = await api(base, method, urlPath, opts);
      tally?.saw(res.status, res.text);
    } catch (err) {
      error = err;
      if (tally) tally.networkErrors++;
    }
    if (res && !retryable(res.status)) return res;
    if (Date.now() > deadline) {
      if (res) return res;
      throw error;
    }
    if (tally) tally.retries++;
    onRetry?.(res);
    await sleep(Math.min(50 * attempt, 500));
  }
}

// A group conversation owned by owner with the others as members.
export async function group(owner, others, title = 'faults') {
  const res = await persist(gateway, 'POST', '/api/v1/conversations', {
    token: owner.access_token,
    body: { kind: 'group', title, member_ids: others.map((u) => u.user.id) },
  });
  assert.equal(res.status, 201, res.text);
  return res.body.id;
}

// Senders that keep sending to a conversation through the gateway until stop(): each send has its
// own client_id and is retried with that client_id until acknowledged (as a real client does).
// Returns {stop(): Promise, acked: Map client_id -> message, attempted: Set, tally}.
export function sendLoad(conversationId, senders, { lanes = 2, pauseMs = 20, label = 'm' } = {}) {
  const acked = new Map();
  const attempted = new Set();
  const refused = [];
  const tally = new Tally();
  let stopping = false;
  let replayed = 0;
  const runs = senders.flatMap((sender, s) => Array.from({ length: lanes }, async (_, lane) => {
    for (let n = 0; !stopping; n++) {
      const clientId = `${label}-s${s}-l${lane}-${n}`;
      attempted.add(clientId);
      const res = await persist(gateway, 'POST', `/api/v1/conversations/${conversationId}/messages`, {
        token: sender.access_token, body: { body: `load ${clientId}`, client_id: clientId },
      }, { tally, deadlineMs: 60_000 });
      if (res.status === 200 || res.status === 201) acked.set(clientId, res.body);
      else refused.push(`${clientId}: ${res.status} ${res.text}`);
      if (res.status === 200) replayed++; // an attempt that failed for the client had been stored
      if (pauseMs) await sleep(pauseMs);
    }
  }));
  return {
    acked,
    attempted,
    refused,
    tally,
    get replayed() {
      return replayed;
    },
    async stop() {
      stopping = true;
      await Promise.all(runs);
    },
    // stop() that never throws, for cleaning up after a failure.
    cancel() {
      stopping = true;
      return Promise.allSettled(runs);
    },
  };
}

// Every message of a conversation, in order, read through the gateway (each page retried as
// persist() does).
export const fullHistory = (user, conversationId) => fullHistoryAt(gateway, user, conversationId, persist);

// The cursor of user's sync log now, asked of base (retried as persist() does).
export const initialCursor = (base, user) => initialCursorAt(base, user, persist);

// A member following its sync log through the gateway with long polls, retrying (same cursor)
// after a 5xx or a network error, from cursor until finish() is called and `until(created)`
// holds, then for one more short poll to catch anything delivered twice.
// Returns {created: message.created events' messages, tally, finish(until, timeoutMs)}.
export function syncWatcher(user, cursor) {
  const created = [];
  const tally = new Tally();
  let until = null;
  let deadline = Infinity;
  const poll = async (timeoutMs) => {
    const res = await persist(gateway, 'GET', `/api/v1/sync?cursor=${encodeURIComponent(cursor)}&timeout_ms=${timeoutMs}`, {
      token: user.access_token,
    }, { tally, deadlineMs: 60_000 });
    assert.equal(res.status, 200, res.text);
    for (const e of res.body.events) if (e.type === 'message.created') created.push(e.message);
    cursor = res.body.cursor;
  };
  let cancelled = false;
  const running = (async () => {
    while (!cancelled && !(until && until(created)) && Date.now() < deadline) await poll(1000);
    if (!cancelled) await poll(300);
  })();
  return {
    created,
    tally,
    async finish(condition, timeoutMs = 30_000) {
      until = condition;
      deadline = Date.now() + timeoutMs;
      await running;
    },
    // Stops following (after a failure), so that the test process can end.
    cancel() {
      cancelled = true;
      return running.catch(() => {});
    },
  };
}

// Checks history and sync against what the senders saw acknowledged; returns the counts.
export function exactlyOnce({ acked, attempted, replayed }, history, delivered) {
  const byClient = new Map();
  for (const m of history) byClient.set(m.client_id, [...(byClient.get(m.client_id) ?? []), m]);
  const duplicatesInHistory = [...byClient.values()].filter((ms) => ms.length > 1).length;
  const lost = [...acked.keys()].filter((id) => !byClient.has(id));
  const mismatched = [...acked].filter(([id, m]) => {
    const stored = byClient.get(id)?.[0];
    return stored && (stored.id !== m.id || stored.seq !== m.seq || stored.body !== m.body);
  });
  const deliveredIds = new Map();
  for (const m of delivered) deliveredIds.set(m.id, (deliveredIds.get(m.id) ?? 0) + 1);
  const duplicatesInSync = [...deliveredIds.values()].filter((n) => n > 1).length;
  const notDelivered = history.filter((m) => !deliveredIds.has(m.id)).length;
  history.forEach((m, i) => assert.equal(m.seq, i + 1, `seq ${m.seq} at position ${i}: history has a gap`));
  return {
    sent: attempted.size,
    acknowledged: acked.size,
    replayed,
    inHistory: history.length,
    delivered: deliveredIds.size,
    duplicates: duplicatesInHistory + duplicatesInSync,
    lost: lost.length,
    lostIds: lost,
    mismatched: mismatched.length,
    notDelivered,
  };
}

// Asserts what exactlyOnce counted: every acknowledged message stored and delivered once.
export function assertExactlyOnce(counts, load) {
  assert.deepEqual(load.refused, [], 'every send was acknowledged in the end');
  assert.equal(counts.acknowledged, counts.sent, 'every send was acknowledged in the end');
  assert.equal(counts.lost, 0, `acknowledged but not in history: ${counts.lostIds.slice(0, 5).join(', ')}`);
  assert.equal(counts.mismatched, 0, 'history holds the acknowledged id, seq and body');
  assert.equal(counts.inHistory, counts.acknowledged, 'nothing in history that was not acknowledged');
  assert.equal(counts.duplicates, 0, 'nothing stored or delivered twice');
  assert.equal(counts.notDelivered, 0, 'sync delivered every stored message');
  assert.equal(counts.delivered, counts.inHistory);
}

export const countsLine = (c) =>
  `sent ${c.sent}, acknowledged ${c.acknowledged} (${c.replayed} by a retry answered 200: the failed attempt ` +
  `had been stored), in history ${c.inHistory}, delivered ${c.delivered}, duplicates ${c.duplicates}, lost ${c.lost}`;

export const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

// Registers an account as a client under faults does: a 5xx or network error is retried with the
// same body; a 409 after such a retry means the earlier attempt was stored, so it logs in.
// Returns {user, access_token, ..., retried} (retried: it took more than one attempt).
export async function registerPersistently(username, tally) {
  const body = { username, email: `${username}@example.test`, password: PASSWORD };
  let failedBefore = false;
  const res = await persist(gateway, 'POST', '/api/v1/auth/register', { body }, {
    tally, onRetry: () => (failedBefore = true),
  });
  if (res.status === 201) return { ...res.body, retried: failedBefore };
  assert.ok(failedBefore && res.status === 409, `register ${username}: ${res.status} ${res.text}`);
  const login = await persist(gateway, 'POST', '/api/v1/auth/login', { body: { login: username, password: PASSWORD } }, { tally });
  assert.equal(login.status, 200, login.text);
  return { ...login.body, retried: true };
}

// Whether each service has learned of an account (user.registered): users has its profile,
// contacts knows it (a request to yourself is 400 for a known user, 404 for an unknown one), and
// messages knows it (probe may start a direct conversation with it: 404 for an unknown user).
export async function knownEverywhere(account, probe) {
  const token = account.access_token;
  const me = await api(gateway, 'GET', '/api/v1/users/me', { token });
  const self = await api(gateway, 'POST', '/api/v1/contacts/requests', { token, body: { user_id: account.user.id } });
  const direct = await api(gateway, 'POST', '/api/v1/conversations', {
    token: probe.access_token, body: { kind: 'direct', user_id: account.user.id },
  });
  return { users: me.status === 200, contacts: self.status === 400, messages: direct.status === 201 || direct.status === 200 };
}

// Waits until every account is known to users, contacts and messages; returns the counts and the
// time it took.
export async function untilKnownEverywhere(accounts, probe, timeoutMs = 30_000) {
  const started = Date.now();
  const known = { users: new Set(), contacts: new Set(), messages: new Set() };
  for (;;) {
    for (const a of accounts) {
      const id = a.user.id;
      if (known.users.has(id) && known.contacts.has(id) && known.messages.has(id)) continue;
      const k = await knownEverywhere(a, probe);
      for (const where of Object.keys(known)) if (k[where]) known[where].add(id);
    }
    const counts = Object.fromEntries(Object.entries(known).map(([k, v]) => [k, v.size]));
    if (Object.values(counts).every((n) => n === accounts.length) || Date.now() - started > timeoutMs) {
      return { ...counts, ms: Date.now() - started };
    }
    await sleep(200);
  }
}
