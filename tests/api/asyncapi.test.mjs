// Holds api/asyncapi.yaml to the events the services publish: every event type is documented
// once, by its producer, with a payload schema. Adding or removing an event means editing EVENTS.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { repoRoot } from './lib/harness.mjs';

// Every event type published so far, and the service that publishes it.
const EVENTS = {
  'user.registered': 'auth',
  'user.deleted': 'auth',
  'session.revoked': 'auth',
  'security.new_login': 'auth',
  'user.profile_updated': 'users',
  'contact.requested': 'contacts',
  'contact.accepted': 'contacts',
  'contact.removed': 'contacts',
  'block.added': 'contacts',
  'block.removed': 'contacts',
  'message.created': 'messages',
  'message.updated': 'messages',
  'message.deleted': 'messages',
  'conversation.created': 'messages',
  'conversation.updated': 'messages',
  'member.added': 'messages',
  'member.removed': 'messages',
  'sync.wake': 'messages',
};

const DOC_ID = 'https://parley.test/asyncapi.json';
const doc = YAML.parse(readFileSync(path.join(repoRoot, 'api/asyncapi.yaml'), 'utf8'));

// A local reference ("#/a/b") resolved, or the node itself when it is not a reference.
const resolve = (node) => {
  if (!node?.$ref) return node;
  assert.match(node.$ref, /^#\//, `only local references: ${node.$ref}`);
  const target = node.$ref.slice(2).split('/')
    .map((s) => decodeURIComponent(s).replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce((at, key) => at?.[key], doc);
  assert.ok(target !== undefined, `dangling reference ${node.$ref}`);
  return resolve(target);
};

const channels = Object.entries(doc.channels ?? {});
const operations = Object.entries(doc.operations ?? {});

test('an AsyncAPI 3.0.0 document on the topic exchange parley.events', () => {
  assert.equal(doc.asyncapi, '3.0.0');
  for (const [id, channel] of channels) {
    const amqp = resolve(channel.bindings)?.amqp;
    assert.equal(amqp?.is, 'routingKey', `channel ${id}`);
    assert.deepEqual(
      { name: amqp.exchange?.name, type: amqp.exchange?.type, durable: amqp.exchange?.durable },
      { name: 'parley.events', type: 'topic', durable: true },
      `channel ${id}`,
    );
  }
});

test('the documented event types are exactly the published ones', () => {
  assert.deepEqual(channels.map(([, c]) => c.address).sort(), Object.keys(EVENTS).sort());
});

test('each channel carries one message, named as its routing key, with a payload schema', () => {
  for (const [id, channel] of channels) {
    const messages = Object.values(channel.messages ?? {}).map(resolve);
    assert.equal(messages.length, 1, `channel ${id}`);
    const [message] = messages;
    assert.equal(message.name, channel.address, `channel ${id}`);
    assert.equal(typeof resolve(message.payload), 'object', `channel ${id}: no payload`);
  }
});

test('every payload is the shared envelope with its own type, producer and data schema', () => {
  for (const [id, channel] of channels) {
    const payload = resolve(Object.values(channel.messages).map(resolve)[0].payload);
    const parts = payload.allOf ?? [];
    assert.ok(parts.some((p) => p.$ref === '#/components/schemas/Envelope'), `channel ${id}: not an Envelope`);
    const own = parts.find((p) => !p.$ref)?.properties ?? {};
    assert.equal(own.type?.const, channel.address, `channel ${id}: type`);
    assert.equal(own.producer?.const, EVENTS[channel.address], `channel ${id}: producer`);
    const data = resolve(own.data);
    assert.equal(data?.type, 'object', `channel ${id}: data`);
    assert.ok(Object.keys(data.properties ?? {}).length > 0, `channel ${id}: data has no fields`);
    assert.deepEqual([...(data.required ?? [])].sort(), Object.keys(data.properties).sort(), `channel ${id}: required`);
  }
  const envelope = doc.components.schemas.Envelope;
  assert.deepEqual(envelope.required.sort(), ['data', 'id', 'occurred_at', 'producer', 'type', 'version']);
});

// A value the schema accepts: the first enum value, a fixed time, and so on.
const sample = (node) => {
  const schema = resolve(node);
  if (schema.allOf) return sample(schema.allOf[0]);
  if ('const' in schema) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.format === 'date-time') return '2025-01-01T00:00:00.000Z';
  if (schema.type === 'integer') return 1;
  if (schema.type === 'boolean') return false;
  if (schema.type === 'array') return Array.from({ length: schema.minItems ?? 1 }, () => sample(schema.items));
  if (schema.type === 'object') {
    return Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, v]) => [k, sample(v)]));
  }
  return 'abc';
};

test('every payload schema compiles, accepts a well-formed event and refuses empty data', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, DOC_ID);
  for (const [id, channel] of channels) {
    const [key, ref] = Object.entries(channel.messages)[0];
    const at = ref.$ref ?? `#/channels/${id}/messages/${key}`;
    const validate = ajv.compile({ $ref: `${DOC_ID}${at}/payload` });
    const data = sample(resolve(resolve(ref).payload).allOf.find((p) => !p.$ref).properties.data);
    const event = { id: '0190aaaa-0000-7000-8000-000000000000', type: channel.address, version: 1,
      occurred_at: '2025-01-01T00:00:00.000Z', producer: EVENTS[channel.address], data };
    assert.ok(validate(event), `channel ${id}: ${ajv.errorsText(validate.errors)}`);
    assert.equal(validate({ ...event, data: {} }), false, `channel ${id}: empty data accepted`);
    assert.equal(validate({ ...event, type: 'other.type' }), false, `channel ${id}: wrong type accepted`);
  }
});

test('each event is sent by its producer, and every operation names its channel and message', () => {
  const channelIds = new Map(channels.map(([id, c]) => [c, id]));
  const senders = {};
  for (const [id, op] of operations) {
    assert.ok(['send', 'receive'].includes(op.action), `operation ${id}: action`);
    const channel = resolve(op.channel);
    assert.ok(channelIds.has(channel), `operation ${id}: channel`);
    const [service] = (op.tags ?? []).map((t) => resolve(t).name);
    assert.ok(service, `operation ${id}: no service tag`);
    for (const ref of op.messages ?? []) {
      assert.ok(ref.$ref.startsWith(`#/channels/${channelIds.get(channel)}/messages/`), `operation ${id}: ${ref.$ref}`);
      resolve(ref);
    }
    if (op.action === 'send') (senders[channel.address] ??= []).push(service);
  }
  assert.deepEqual(senders, Object.fromEntries(Object.entries(EVENTS).map(([type, p]) => [type, [p]])));
});
