// A device that comes back after a while: its cursor is older than what the server keeps in
// memory, so each page of GET /api/v1/sync is read from the database. Measures how long catching
// up takes, page by page.
//   node bench/sync-catchup.mjs prepare BASE_URL STATE_FILE [conversations=50] [messages=50000]
//   node bench/sync-catchup.mjs catchup BASE_URL STATE_FILE
// prepare: registers a reader and one partner per conversation, makes the direct conversations,
// notes the reader's cursor, then the partners send the messages. Restart the server (or wait
// for its in-memory tail to move on) before catchup: catchup pages from the noted cursor until
// it is empty and checks that every message arrived once, in order.
import { readFileSync, writeFileSync } from 'node:fs';

const [mode, base, stateFile, convArg, msgArg] = process.argv.slice(2);
if (!mode || !base || !stateFile) {
  console.error('usage: node bench/sync-catchup.mjs prepare|catchup BASE_URL STATE_FILE [conversations] [messages]');
  process.exit(2);
}

async function call(method, path, token, body) {
  for (let attempt = 0; ; ++attempt) {
    const res = await fetch(base + path, {
      method,
      headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    // Behind the stack's gateway a new account reaches the messages service a few ms later.
    if (res.status === 404 && attempt < 100 && path === '/api/v1/conversations') {
      await new Promise((r) => setTimeout(r, 20));
      continue;
    }
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }
}

async function register(name) {
  const r = await call('POST', '/api/v1/auth/register', null, { username: name, email: `${name}@catchup.test`, password: 'catch-up-password' });
  return { id: r.user.id, token: r.access_token };
}

async function prepare(conversations, messages) {
  const tag = `cu${Math.floor(Math.random() * 1e6)}`;
  const reader = await register(`${tag}_r`);
  const partners = [];
  for (let i = 0; i < conversations; i += 8)
    partners.push(...(await Promise.all(Array.from({ length: Math.min(8, conversations - i) }, (_, k) => register(`${tag}_p${i + k}`)))));
  const convs = [];
  for (const p of partners) convs.push((await call('POST', '/api/v1/conversations', p.token, { kind: 'direct', user_id: reader.id })).id);
  const { cursor } = await call('GET', '/api/v1/sync', reader.token);
  let next = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (next < messages) {
      const k = next++;
      const c = k % conversations;
      await call('POST', `/api/v1/conversations/${convs[c]}/messages`, partners[c].token, { body: `m${k}`, client_id: `${tag}-${k}` });
    }
  }));
  const secs = (performance.now() - t0) / 1000;
  writeFileSync(stateFile, JSON.stringify({ reader, cursor, messages, conversations }));
  console.log(`prepared: ${conversations} conversations, ${messages} messages sent in ${secs.toFixed(1)} s`);
}

async function catchup() {
  const { reader, cursor: start, messages } = JSON.parse(readFileSync(stateFile, 'utf8'));
  const seen = new Set();
  let cursor = start, pages = 0, events = 0, duplicates = 0;
  const times = [];
  const t0 = performance.now();
  for (;;) {
    const t = performance.now();
    const r = await call('GET', `/api/v1/sync?timeout_ms=0&cursor=${encodeURIComponent(cursor)}`, reader.token);
    times.push(performance.now() - t);
    cursor = r.cursor;
    if (r.events.length === 0) break;
    ++pages;
    for (const e of r.events) {
      if (e.type !== 'message.created') continue;
      ++events;
      if (seen.has(e.message.id)) ++duplicates;
      seen.add(e.message.id);
    }
  }
  const total = (performance.now() - t0) / 1000;
  times.sort((a, b) => a - b);
  const pct = (p) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(1);
  console.log(`catch-up: ${events} of ${messages} messages in ${pages} pages, ${duplicates} duplicates, ${total.toFixed(2)} s`);
  console.log(`  per page: p50 ${pct(0.5)} ms  p99 ${pct(0.99)} ms  max ${times[times.length - 1].toFixed(1)} ms`);
  if (events !== messages || duplicates) process.exit(1);
}

if (mode === 'prepare') await prepare(Number(convArg ?? 50), Number(msgArg ?? 50000));
else if (mode === 'catchup') await catchup();
else { console.error(`unknown mode ${mode}`); process.exit(2); }
