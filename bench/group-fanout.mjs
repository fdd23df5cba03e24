#!/usr/bin/env node
// Sends into one large group and times it (each message is one row of the sync log, which every
// member reads through their membership). Registers the members, has the first one create the group with
// all the others, then sends one message at a time (latency of a single send), then from several
// senders at once (throughput), times a rename and a member leaving (conversation events: each
// member gets their own view of the group), and checks that a member's long poll received every
// message.
// usage: node bench/group-fanout.mjs BASE_URL [members=1000] [messages=100] [senders=8]
const [base, members = '1000', messages = '100', senders = '8'] = process.argv.slice(2);
if (!base) {
  console.error('usage: node bench/group-fanout.mjs BASE_URL [members=1000] [messages=100] [senders=8]');
  process.exit(2);
}
const nMembers = Number(members), nMessages = Number(messages), nSenders = Number(senders);

async function call(method, path, token, body) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

const must = (res, status, what) => {
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
};
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

const prefix = `gf${Date.now() % 1e6}_`;
const users = new Array(nMembers);
let next = 0;
await Promise.all(Array.from({ length: 8 }, async () => {  // Argon2id-bound: a few at a time
  while (next < nMembers) {
    const i = next++;
    const name = `${prefix}${i}`;
    users[i] = must(await call('POST', '/api/v1/auth/register', null,
      { username: name, email: `${name}@load.test`, password: 'load-test-password' }), 201, 'register');
  }
}));
const owner = users[0];
const memberIds = users.slice(1).map((u) => u.user.id);
let group;
const created = performance.now();
for (let tries = 0; ; tries++) {  // behind a gateway, new accounts reach messages a moment later
  const res = await call('POST', '/api/v1/conversations', owner.access_token, { kind: 'group', title: 'everyone', member_ids: memberIds });
  if (res.status === 201) { group = res.body; break; }
  if (res.status !== 400 || tries > 200) must(res, 201, 'create group');
  await new Promise((r) => setTimeout(r, 50));
}
const createMs = performance.now() - created;
const watcher = users[nMembers - 1];
const cursor = must(await call('GET', '/api/v1/sync', watcher.access_token), 200, 'sync').cursor;

const send = (who, n) => call('POST', `/api/v1/conversations/${group.id}/messages`, who.access_token, { body: `message ${n}` });
const timed = async (who, n) => {
  const t = performance.now();
  must(await send(who, n), 201, 'send');
  return performance.now() - t;
};

const half = Math.floor(nMessages / 2);
const one = [];
for (let n = 0; n < half; n++) one.push(await timed(users[n % nMembers], n));
let sent = half;
const t0 = performance.now();
const many = [];
await Promise.all(Array.from({ length: nSenders }, async (_, s) => {
  while (sent < nMessages) many.push(await timed(users[s % nMembers], sent++));
}));
const seconds = (performance.now() - t0) / 1000;

// Conversation events go to every member with their own view (member list, unread count):
// a rename, and a member leaving, each timed once.
let t = performance.now();
must(await call('PATCH', `/api/v1/conversations/${group.id}`, owner.access_token, { title: 'everyone, renamed' }), 200, 'rename');
const renameMs = performance.now() - t;
t = performance.now();
const leaver = users[1];
must(await call('DELETE', `/api/v1/conversations/${group.id}/members/${leaver.user.id}`, leaver.access_token), 204, 'leave');
const leaveMs = performance.now() - t;

// The watcher's long poll: every message, once.
let got = 0, at = cursor;
for (let polls = 0; got < nMessages && polls < 1000; polls++) {
  const page = must(await call('GET', `/api/v1/sync?timeout_ms=2000&cursor=${encodeURIComponent(at)}`, watcher.access_token), 200, 'poll');
  got += page.events.filter((e) => e.type === 'message.created' && e.conversation_id === group.id).length;
  at = page.cursor;
}
one.sort((a, b) => a - b);
many.sort((a, b) => a - b);
console.log(`group fan-out: ${nMembers} members, ${nMessages} messages`);
console.log(`  one at a time:   ${half} sends, p50 ${percentile(one, 50).toFixed(1)} ms, p99 ${percentile(one, 99).toFixed(1)} ms`);
console.log(`  ${nSenders} senders at once: ${nMessages - half} sends in ${seconds.toFixed(2)} s = ${((nMessages - half) / seconds).toFixed(0)} msg/s ` +
  `(${(((nMessages - half) * nMembers) / seconds).toFixed(0)} sync events/s), p50 ${percentile(many, 50).toFixed(1)} ms, p99 ${percentile(many, 99).toFixed(1)} ms`);
console.log(`  conversation events: create ${createMs.toFixed(0)} ms, rename ${renameMs.toFixed(0)} ms, a member leaving ${leaveMs.toFixed(0)} ms`);
console.log(`  a member's long poll received ${got} of ${nMessages}`);
process.exit(got === nMessages ? 0 : 1);
