'use strict';
// Scenarios 2-4 (JS): kafkajs + @kafkajs/confluent-schema-registry against prefstream's broker, registry and ingest.
//   2. PreferenceEvents encoded here (PreferenceEvent.avsc registered WITH references under preference-events-value)
//      go through `prefstream ingest`; the pairs it writes are decoded here; garbage lands in the DLQ with reasons.
//   3. The events `prefstream import interop/trl-sample.jsonl` wrote (Java serializer) and their pairs decode here.
//   4. Plain producer/consumer/admin basics, and a transaction (committed + aborted) read with read_committed.
// Needs `prefstream up` and `prefstream ingest` running.
const { Kafka, logLevel, CompressionTypes } = require('kafkajs');
// `prefstream import` produces with lz4 (Java's KafkaProducer; ingest's Streams producers do not compress): kafkajs
// has no LZ4 of its own and needs this codec to read those batches
const LZ4Codec = require('kafkajs-lz4').default || require('kafkajs-lz4');
require('kafkajs').CompressionCodecs[CompressionTypes.LZ4] = new LZ4Codec().codec;
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');
const { NS, REGISTRY, BOOTSTRAP, avsc, http, check, summary } = require('./common');

const tag = `js-${Date.now()}`;
const kafka = new Kafka({ clientId: 'interop-js', brokers: [BOOTSTRAP], logLevel: logLevel.WARN });
const registry = new SchemaRegistry({ host: REGISTRY });
const TIMEOUT_MS = Number(process.env.TIMEOUT_MS || 90000);

function event(id, conversation, responses, judgement, extra = {}) {
  return {
    event_id: `${tag}-${id}`, occurred_at: Date.now(), source: 'HUMAN', annotator_id: 'interop-user', conversation_id: `${tag}-${conversation}`,
    prompt: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: `${tag} ${conversation}: which answer is better?` }],
    responses: responses.map(([response_id, text]) => ({ response_id, text: `${text} (${tag})`, model_version: null })),
    judgement, weight: null, confidence: null, tenant: null, metadata: { client: 'kafkajs' }, ...extra,
  };
}
const J = (kind, body) => ({ [NS + '.' + kind]: body });

/** Reads a topic from the beginning until `done(records)` or the timeout; returns the records it saw. */
async function readTopic(topic, opts, done) {
  const consumer = kafka.consumer({ groupId: `interop-${tag}-${topic}-${Math.random()}`, readUncommitted: !!opts.readUncommitted });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const records = [];
  let finish;
  const finished = new Promise(resolve => { finish = resolve; });
  const timer = setTimeout(finish, opts.timeoutMs || TIMEOUT_MS);
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      const r = await opts.map({ partition, message });
      if (r !== undefined) records.push(r);
      if (done(records)) finish();
    },
  });
  await finished;
  clearTimeout(timer);
  await consumer.disconnect();
  return records;
}

async function scenario2(producer) {
  // the referenced types first (Confluent's layout for multi-file Avro), then the event schema referring to them
  const chat = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(avsc('ChatMessage')) }, { subject: NS + '.ChatMessage' });
  const src = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(avsc('FeedbackSource')) }, { subject: NS + '.FeedbackSource' });
  const version = async (subject, id) => {
    for (const v of (await http('GET', `/subjects/${subject}/versions`)).body) {
      if ((await http('GET', `/subjects/${subject}/versions/${v}`)).body.id === id) return v;
    }
    throw new Error(`id ${id} not found in ${subject}`);
  };
  const references = [
    { name: NS + '.ChatMessage', subject: NS + '.ChatMessage', version: await version(NS + '.ChatMessage', chat.id) },
    { name: NS + '.FeedbackSource', subject: NS + '.FeedbackSource', version: await version(NS + '.FeedbackSource', src.id) },
  ];
  const { id } = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(avsc('PreferenceEvent')), references },
    { subject: 'preference-events-value' });
  check('PreferenceEvent (with references) registered under preference-events-value', id > 0, { id, references });

  const events = [
    event('cmp', 'cmp', [['a', 'Paris is the capital of France.'], ['b', 'Lyon.']], J('Comparison', { response_a: 'a', response_b: 'b', outcome: 'A', strength: null })),
    event('rank', 'rank', [['x', 'Ranked first'], ['y', 'Ranked second'], ['z', 'Ranked third']], J('Ranking', { tiers: [['x'], ['y'], ['z']] })),
    event('rate', 'rate', [['p', 'Rated nine'], ['q', 'Rated three']], J('Rating', {
      scale_min: 1, scale_max: 10, scores: [{ response_id: 'p', score: 9, aspects: {} }, { response_id: 'q', score: 3, aspects: {} }] })),
    event('up', 'thumbs', [['u', 'Thumbed up']], J('Feedback', { response_id: 'u', thumb: 'UP' })),
    event('down', 'thumbs', [['d', 'Thumbed down']], J('Feedback', { response_id: 'd', thumb: 'DOWN' })),
    event('self', 'self', [['s', 'Same'], ['t', 'Other']], J('Comparison', { response_a: 's', response_b: 's', outcome: 'A', strength: null })),
  ];
  const messages = [];
  for (const e of events) messages.push({ key: e.event_id, value: await registry.encode(id, e) });
  messages.push({ key: `${tag}-garbage`, value: Buffer.from(`${tag} this is not Avro`), headers: { 'interop-tag': tag } });
  const unknownId = Buffer.concat([Buffer.from([0, 0x7f, 0xff, 0xff, 0x00]), Buffer.from(tag)]);
  messages.push({ key: `${tag}-unknown-id`, value: unknownId, headers: { 'interop-tag': tag } });
  await producer.send({ topic: 'preference-events', messages });
  check('produced 6 events + 2 garbage records to preference-events', true, tag);

  const pairs = await readTopic('preference-pairs', {
    map: async ({ message }) => {
      const pair = await registry.decode(message.value);
      return pair.prompt.some(m => m.content.includes(tag)) ? pair : undefined;
    },
  }, rs => rs.length >= 4);
  const byKind = Object.fromEntries(pairs.map(p => [p.kind, p]));
  const strip = s => s.replace(` (${tag})`, '');
  const cmp = byKind.COMPARISON, rank = byKind.RANKING, rate = byKind.RATING, thumbs = byKind.FEEDBACK;
  check('4 pairs decoded with the registry-aware deserializer', pairs.length === 4, pairs.map(p => p.kind));
  check('comparison A wins: chosen a, rejected b, margin 1', cmp && strip(cmp.chosen) === 'Paris is the capital of France.' && strip(cmp.rejected) === 'Lyon.'
    && cmp.score_margin === 1 && cmp.event_ids[0] === `${tag}-cmp` && cmp.source === 'HUMAN', cmp && [cmp.chosen, cmp.rejected, cmp.score_margin]);
  check('ranking BEST_VS_WORST: first over third, margin 2 tiers', rank && strip(rank.chosen) === 'Ranked first' && strip(rank.rejected) === 'Ranked third'
    && rank.score_margin === 2, rank && [rank.chosen, rank.rejected, rank.score_margin]);
  check('rating: 9 over 3, margin 6', rate && strip(rate.chosen) === 'Rated nine' && strip(rate.rejected) === 'Rated three' && rate.score_margin === 6,
    rate && [rate.chosen, rate.rejected, rate.score_margin]);
  check('thumbs up + down on one prompt: up over down, both event ids', thumbs && strip(thumbs.chosen) === 'Thumbed up' && strip(thumbs.rejected) === 'Thumbed down'
    && thumbs.event_ids.length === 2, thumbs && [thumbs.chosen, thumbs.rejected, thumbs.event_ids]);
  check('pair fields: prompt as sent, ids are 64-hex, created_at a timestamp', pairs.length > 0 && pairs.every(p => p.prompt.length === 2 && p.prompt[0].content === 'Be brief.'
    && /^[0-9a-f]{64}$/.test(p.pair_id) && /^[0-9a-f]{64}$/.test(p.prompt_id) && p.created_at > 1.6e12 && p.weight === 1 && p.conflicts === 0),
    pairs.map(p => [p.pair_id.slice(0, 8), p.weight, p.conflicts]));

  const dlq = await readTopic('preference-events-dlq', {
    map: ({ message }) => {
      const key = message.key && message.key.toString();
      if (!key || !key.startsWith(tag)) return undefined;
      const h = Object.fromEntries(Object.entries(message.headers || {}).map(([k, v]) => [k, v && v.toString()]));
      return { key, value: message.value, h };
    },
  }, rs => ['garbage', 'unknown-id', 'self'].every(k => rs.some(r => r.key === `${tag}-${k}`)));
  check('nothing else of this run dead-lettered', dlq.length === 3, dlq.map(d => [d.key, d.h['prefstream.dlq.reason'], d.h['prefstream.dlq.message']]));
  const dead = Object.fromEntries(dlq.map(d => [d.key, d]));
  const garbage = dead[`${tag}-garbage`], unknown = dead[`${tag}-unknown-id`], self = dead[`${tag}-self`];
  check('garbage -> DLQ not_wire_format, original bytes and headers kept', garbage && garbage.h['prefstream.dlq.reason'] === 'not_wire_format'
    && garbage.value.toString() === `${tag} this is not Avro` && garbage.h['interop-tag'] === tag && garbage.h['prefstream.dlq.source.topic'] === 'preference-events'
    && garbage.h['prefstream.dlq.source.offset'] !== undefined && garbage.h['prefstream.dlq.message'], garbage && garbage.h);
  check('wire format with an unknown schema id -> DLQ unknown_schema_id', unknown && unknown.h['prefstream.dlq.reason'] === 'unknown_schema_id', unknown && unknown.h['prefstream.dlq.reason']);
  check('valid Avro breaking a rule -> DLQ self_comparison, decodable original', self && self.h['prefstream.dlq.reason'] === 'self_comparison'
    && (await registry.decode(self.value)).event_id === `${tag}-self`, self && self.h['prefstream.dlq.reason']);
}

async function scenario3() {
  // interop/trl-sample.jsonl, after `prefstream import interop/trl-sample.jsonl` (Java serializer, generated classes)
  const file = require('path').join(__dirname, 'trl-sample.jsonl');
  const text = v => (typeof v === 'string' ? v : v.map(m => m.content).join('\n'));
  const lines = require('fs').readFileSync(file, 'utf8').split('\n').filter(Boolean).map(JSON.parse)
    .map(l => ({ prompt: text(l.prompt), chosen: text(l.chosen), rejected: text(l.rejected), scored: l.score_chosen !== undefined }));
  const matches = (prompt, l) => prompt.some(m => m.content === l.prompt);
  const events = await readTopic('preference-events', {
    map: async ({ message }) => {
      if (!message.value || message.value[0] !== 0) return undefined;
      let e;
      try { e = await registry.decode(message.value); } catch (err) { return undefined; } // the garbage of scenario 2
      return lines.some(l => matches(e.prompt, l)) ? e : undefined;
    },
  }, rs => lines.every(l => rs.some(e => matches(e.prompt, l))));
  for (const l of lines) {
    const e = events.find(ev => matches(ev.prompt, l));
    const kind = e && Object.keys(e.judgement)[0].split('.').pop();
    const j = e && e.judgement[Object.keys(e.judgement)[0]];
    const textOf = id => e.responses.find(r => r.response_id === id).text;
    let ok = false;
    if (kind === 'Comparison') {
      const winner = j.outcome === 'A' ? j.response_a : j.response_b, loser = j.outcome === 'A' ? j.response_b : j.response_a;
      ok = textOf(winner) === l.chosen && textOf(loser) === l.rejected && !l.scored;
    } else if (kind === 'Rating') {
      const score = t => j.scores.find(sc => textOf(sc.response_id) === t).score;
      ok = l.scored && score(l.chosen) === 8.5 && score(l.rejected) === 2.0;
    }
    check(`imported by prefstream, decoded here: ${JSON.stringify(l.prompt)}`, ok && e.occurred_at > 0 && typeof e.event_id === 'string',
      e && { kind, responses: e.responses.map(r => r.text), source: e.source });
  }
  const pairs = await readTopic('preference-pairs', {
    map: async ({ message }) => {
      const p = await registry.decode(message.value);
      return lines.some(l => matches(p.prompt, l)) ? p : undefined;
    },
  }, rs => lines.every(l => rs.some(p => matches(p.prompt, l))));
  check('their pairs (written by ingest) decode here with chosen/rejected as in the file', lines.every(l => pairs.some(p => matches(p.prompt, l)
    && p.chosen === l.chosen && p.rejected === l.rejected)), pairs.map(p => [p.kind, p.chosen, p.rejected, p.score_margin]));
}

async function scenario4() {
  const admin = kafka.admin();
  await admin.connect();
  const topic = `interop-basics-${tag}`;
  const created = await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true });
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  check('admin: create topic with 3 partitions', created && meta.topics[0].partitions.length === 3, meta.topics[0].partitions.length);
  const cluster = await admin.describeCluster();
  check('admin: describeCluster answers one broker and a controller', cluster.brokers.length === 1 && cluster.controller !== null, cluster);

  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const messages = Array.from({ length: 30 }, (_, i) => ({ key: `k${i % 5}`, value: `v${i}`, headers: { n: String(i) } }));
  const acks = await producer.send({ topic, messages, compression: CompressionTypes.GZIP, acks: -1 });
  check('idempotent gzip produce acked on every partition it used', acks.every(a => a.errorCode === 0), acks.map(a => [a.partition, a.baseOffset]));
  const got = await readTopic(topic, { map: ({ partition, message }) => ({ partition, key: message.key.toString(), value: message.value.toString(), n: message.headers.n.toString() }) },
    rs => rs.length >= 30);
  const partitionsOfKey = {};
  got.forEach(r => { (partitionsOfKey[r.key] = partitionsOfKey[r.key] || new Set()).add(r.partition); });
  check('consumer group reads all 30, values and headers intact, each key on one partition', got.length === 30
    && got.every(r => r.value === `v${r.n}`) && Object.values(partitionsOfKey).every(s => s.size === 1), got.length);

  const groupId = `interop-${tag}-commit`;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let count = 0;
  await new Promise(resolve => consumer.run({ autoCommit: true, eachMessage: async () => { if (++count === 30) resolve(); } }));
  await consumer.commitOffsets([]); // flush
  await consumer.disconnect();
  const offsets = await admin.fetchOffsets({ groupId, topics: [topic] });
  const committed = offsets[0].partitions.reduce((s, p) => s + Number(p.offset), 0);
  check('committed group offsets add up to 30', committed === 30, offsets[0].partitions);

  const txTopic = `interop-tx-${tag}`;
  await admin.createTopics({ topics: [{ topic: txTopic, numPartitions: 1 }], waitForLeaders: true });
  const txProducer = kafka.producer({ transactionalId: `interop-${tag}`, idempotent: true, maxInFlightRequests: 1 });
  await txProducer.connect();
  const aborted = await txProducer.transaction();
  await aborted.send({ topic: txTopic, messages: [{ value: 'aborted-1' }, { value: 'aborted-2' }] });
  await aborted.abort();
  const committedTx = await txProducer.transaction();
  await committedTx.send({ topic: txTopic, messages: [{ value: 'committed-1' }, { value: 'committed-2' }] });
  await committedTx.commit();
  await txProducer.disconnect();
  const readCommitted = await readTopic(txTopic, { map: ({ message }) => message.value.toString(), timeoutMs: 15000 }, rs => rs.length >= 2);
  const readAll = await readTopic(txTopic, { map: ({ message }) => message.value.toString(), readUncommitted: true, timeoutMs: 15000 }, rs => rs.length >= 4);
  check('transactions: read_committed sees only the committed pair', JSON.stringify(readCommitted) === '["committed-1","committed-2"]', readCommitted);
  check('transactions: read_uncommitted sees the aborted records too', readAll.length === 4, readAll);

  await admin.deleteTopics({ topics: [topic, txTopic] });
  const left = (await admin.listTopics()).filter(t => t === topic || t === txTopic);
  check('admin: delete the test topics', left.length === 0, left);
  await producer.disconnect();
  await admin.disconnect();
}

async function main() {
  const only = process.argv[2];
  const producer = kafka.producer();
  await producer.connect();
  if (!only || only === '2') await scenario2(producer);
  if (!only || only === '3') await scenario3();
  if (!only || only === '4') await scenario4();
  await producer.disconnect();
}

main().then(() => process.exit(summary()), (e) => { console.error(e); check('no unexpected exception', false, String(e)); process.exit(summary()); });
