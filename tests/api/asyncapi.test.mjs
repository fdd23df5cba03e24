// Holds api/asyncapi.yaml to the event catalog the services publish and consume
// (libs/events/parley/events/catalog.hpp): every catalog type is documented once, by its producer,
// with a data schema whose fields, JSON types and required ones are exactly the catalog's, and
// a sample event of each type (made by the catalog's own serializer) validates against it. The
// catalog comes from the parley-events-catalog executable built beside the binary under test
// (PARLEY_EVENTS_CATALOG to name another).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import YAML from 'yaml';
import { binaryPath, repoRoot } from './lib/harness.mjs';

const catalogBin = process.env.PARLEY_EVENTS_CATALOG
  || path.resolve(path.dirname(binaryPath), '../events-catalog/parley-events-catalog');
// [{type, producer, version, fields: [{name, schema, required}], sample}], in catalog order.
const CATALOG = JSON.parse(execFileSync(catalogBin, { encoding: 'utf8' })).events;
// Every event type, and the service that publishes it.
const EVENTS = Object.fromEntries(CATALOG.map((e) => [e.type, e.producer]));

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

test('the documented event types are exactly the catalog\'s', () => {
  assert.ok(CATALOG.length >= 18, `only ${CATALOG.length} types in the catalog`);
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
    // Open to fields a newer producer adds (a consumer ignores those it does not know); the fields
    // documented are exactly the catalog's (below).
    assert.notEqual(data.additionalProperties, false, `channel ${id}: data refuses the optional fields a newer producer may add`);
  }
  const envelope = doc.components.schemas.Envelope;
  assert.deepEqual(envelope.required.sort(), ['data', 'id', 'occurred_at', 'producer', 'type', 'version']);
});

// The message payload schema and the data schema of a channel.
const payloadOf = (channel) => resolve(Object.values(channel.messages).map(resolve)[0].payload);
const ownPart = (channel) => payloadOf(channel).allOf.find((p) => !p.$ref).properties;
const channelOf = (type) => channels.find(([, c]) => c.address === type);

// A property's schema as the catalog describes one: its JSON type, and for arrays the items' and
// their count when fixed (through references and allOf).
const shape = (node) => {
  const schema = resolve(node);
  const merged = (schema.allOf ?? []).map(shape).reduce((all, s) => ({ ...all, ...s }), {});
  const out = { ...merged };
  if (schema.type !== undefined) out.type = schema.type;
  if (schema.items !== undefined) out.items = shape(schema.items);
  for (const k of ['minItems', 'maxItems']) if (schema[k] !== undefined) out[k] = schema[k];
  return out;
};
// The same of a catalog field's schema: minItems/maxItems only where the catalog fixes a count.
const catalogShape = (schema) => {
  const out = { type: schema.type };
  if (schema.items) out.items = catalogShape(schema.items);
  for (const k of ['minItems', 'maxItems']) if (schema[k] !== undefined) out[k] = schema[k];
  return out;
};
const comparable = (documented, fromCatalog) => {
  const out = { type: documented.type };
  if (documented.items) out.items = comparable(documented.items, fromCatalog.items ?? {});
  for (const k of ['minItems', 'maxItems']) if (fromCatalog[k] !== undefined) out[k] = documented[k];
  return out;
};

test('each data schema has exactly the catalog\'s fields, types, required ones and version', () => {
  for (const event of CATALOG) {
    const found = channelOf(event.type);
    assert.ok(found, `${event.type}: no channel`);
    const own = ownPart(found[1]);
    assert.equal(own.version?.const, event.version, `${event.type}: version`);
    const data = resolve(own.data);
    const fields = event.fields.map((f) => f.name);
    assert.deepEqual(Object.keys(data.properties).sort(), [...fields].sort(),
      `${event.type}: documented fields differ from the catalog's`);
    assert.deepEqual([...(data.required ?? [])].sort(), event.fields.filter((f) => f.required).map((f) => f.name).sort(),
      `${event.type}: required fields differ from the catalog's`);
    for (const f of event.fields) {
      const want = catalogShape(f.schema);
      assert.deepEqual(comparable(shape(data.properties[f.name]), want), want, `${event.type}.${f.name}: JSON type`);
    }
  }
});

test('every catalog sample validates against its message and the envelope; bad data does not', () => {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(doc, DOC_ID);
  const envelope = ajv.compile({ $ref: `${DOC_ID}#/components/schemas/Envelope` });
  for (const event of CATALOG) {
    const [id, channel] = channelOf(event.type);
    const [key, ref] = Object.entries(channel.messages)[0];
    const at = ref.$ref ?? `#/channels/${id}/messages/${key}`;
    const validate = ajv.compile({ $ref: `${DOC_ID}${at}/payload` });
    const { sample } = event;
    assert.deepEqual(Object.keys(sample.data).sort(), event.fields.map((f) => f.name).sort(),
      `${event.type}: the sample sets every field`);
    assert.ok(envelope(sample), `${event.type}: envelope: ${ajv.errorsText(envelope.errors)}`);
    assert.ok(validate(sample), `${event.type}: ${ajv.errorsText(validate.errors)}`);
    assert.equal(validate({ ...sample, data: {} }), false, `${event.type}: empty data accepted`);
    assert.equal(validate({ ...sample, type: 'other.type' }), false, `${event.type}: wrong type accepted`);
    assert.equal(validate({ ...sample, version: event.version + 1 }), false, `${event.type}: another version accepted`);
    assert.ok(validate({ ...sample, data: { ...sample.data, added_by_a_newer_producer: 1 } }),
      `${event.type}: a field a newer producer adds refused (consumers ignore what they do not know)`);
    for (const f of event.fields.filter((x) => x.required)) {
      const { [f.name]: _, ...rest } = sample.data;
      assert.equal(validate({ ...sample, data: rest }), false, `${event.type}: accepted without ${f.name}`);
    }
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
