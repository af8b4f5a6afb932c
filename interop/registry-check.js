'use strict';
// Scenario 1 (JS): prefstream's embedded registry through @kafkajs/confluent-schema-registry and its REST API.
// Uses subjects under a per-run prefix and deletes them at the end, so it can be re-run against the same registry.
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');
const { NS, REGISTRY, avsc, inlined, http, check, summary } = require('./common');

const p = `interop-js-${Date.now()}-`;
const sub = { chat: p + NS + '.ChatMessage', source: p + NS + '.FeedbackSource', events: p + 'events-value', inline: p + 'inline-value' };

function sampleEvent() {
  return {
    event_id: 'js-sample-1', occurred_at: Date.now(), source: 'HUMAN', annotator_id: 'u1', conversation_id: 'c1',
    prompt: [{ role: 'user', content: 'hi' }],
    responses: [{ response_id: 'r1', text: 'hello', model_version: null }, { response_id: 'r2', text: 'yo', model_version: 'v1' }],
    judgement: { [NS + '.Comparison']: { response_a: 'r1', response_b: 'r2', outcome: 'A', strength: 0.5 } },
    weight: null, confidence: null, tenant: null, metadata: { k: 'v' },
  };
}

function withField(schema, field) {
  const copy = JSON.parse(JSON.stringify(schema));
  copy.fields.push(field);
  return copy;
}

async function main() {
  const registry = new SchemaRegistry({ host: REGISTRY });
  const fresh = () => new SchemaRegistry({ host: REGISTRY }); // no cache: every answer comes from the server

  const types = await http('GET', '/schemas/types');
  check('GET /schemas/types lists AVRO', types.status === 200 && types.body.includes('AVRO'), types.body);
  const globalCfg = await http('GET', '/config');
  check('GET /config answers compatibilityLevel', globalCfg.status === 200 && globalCfg.body.compatibilityLevel, globalCfg.body);

  // referenced types first, as Confluent's multi-file Avro layout needs them
  const chat = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(avsc('ChatMessage')) }, { subject: sub.chat });
  const source = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(avsc('FeedbackSource')) }, { subject: sub.source });
  check('register ChatMessage and FeedbackSource (own subjects)', chat.id > 0 && source.id > 0 && chat.id !== source.id, { chat, source });

  const references = [
    { name: NS + '.ChatMessage', subject: sub.chat, version: 1 },
    { name: NS + '.FeedbackSource', subject: sub.source, version: 1 },
  ];
  const eventSchema = { type: SchemaType.AVRO, schema: JSON.stringify(avsc('PreferenceEvent')), references };
  const ev = await registry.register(eventSchema, { subject: sub.events });
  check('register PreferenceEvent.avsc as is, with references', ev.id > 0, ev);
  const again = await fresh().register(eventSchema, { subject: sub.events });
  check('re-registering the identical schema returns the same id', again.id === ev.id, { first: ev.id, again: again.id });

  const byId = await http('GET', `/schemas/ids/${ev.id}`);
  check('GET /schemas/ids/{id} returns the schema and its references', byId.status === 200 && Array.isArray(byId.body.references)
    && byId.body.references.length === 2 && JSON.parse(byId.body.schema).name === 'PreferenceEvent', byId.body.references);
  const typeById = await fresh().getSchema(ev.id);
  check('client getSchema(id) resolves the references into a usable type', typeById.name === NS + '.PreferenceEvent', typeById.name);
  const encoded = await registry.encode(ev.id, sampleEvent());
  check('encode uses Confluent wire format (magic 0 + 4-byte id)', encoded[0] === 0 && encoded.readInt32BE(1) === ev.id, encoded.subarray(0, 5));
  const decoded = await fresh().decode(encoded);
  check('decode round-trips the event', decoded.event_id === 'js-sample-1' && decoded.judgement[NS + '.Comparison'].outcome === 'A', decoded.event_id);

  const latest = await registry.getLatestSchemaId(sub.events);
  check('latest version id of the subject', latest === ev.id, latest);
  const v1 = await registry.getRegistryId(sub.events, 1);
  check('GET /subjects/{s}/versions/1 id', v1 === ev.id, v1);

  const inline = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(inlined('PreferenceEvent')) }, { subject: sub.inline });
  check('register self-contained (inlined) PreferenceEvent', inline.id > 0 && inline.id !== ev.id, inline);
  const looked = await fresh().getRegistryIdBySchema(sub.inline, { type: SchemaType.AVRO, schema: JSON.stringify(inlined('PreferenceEvent')) });
  check('POST /subjects/{s} (lookup) finds the registered id', looked === inline.id, looked);
  const crossEncoded = await registry.encode(inline.id, sampleEvent());
  const crossDecoded = await fresh().decode(crossEncoded);
  check('inlined schema round-trips too', crossDecoded.metadata.k === 'v', crossDecoded.metadata);

  const base = inlined('PreferenceEvent');
  const compatible = withField(base, { name: 'interop_note', type: ['null', 'string'], default: null });
  const incompatible = withField(base, { name: 'interop_required', type: 'string' });
  const okAnswer = await registry.api.Subject.compatible({ subject: sub.inline, body: { schema: JSON.stringify(compatible) } });
  check('compatibility check: new optional field is compatible', okAnswer.data().is_compatible === true, okAnswer.data());
  const badAnswer = await http('POST', `/compatibility/subjects/${encodeURIComponent(sub.inline)}/versions/latest?verbose=true`, { schema: JSON.stringify(incompatible) });
  check('compatibility check: new required field is incompatible (BACKWARD)', badAnswer.status === 200 && badAnswer.body.is_compatible === false, badAnswer.body);
  let conflict;
  try {
    await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(incompatible) }, { subject: sub.inline });
  } catch (e) { conflict = e; }
  const rawConflict = await http('POST', `/subjects/${encodeURIComponent(sub.inline)}/versions`, { schema: JSON.stringify(incompatible) });
  check('registering the incompatible schema is refused with 409', conflict && conflict.status === 409 && rawConflict.status === 409
    && rawConflict.body.error_code === 409, { client: conflict && conflict.status, raw: rawConflict });
  const v2 = await registry.register({ type: SchemaType.AVRO, schema: JSON.stringify(compatible) }, { subject: sub.inline });
  const versions = await http('GET', `/subjects/${encodeURIComponent(sub.inline)}/versions`);
  check('registering the compatible change makes version 2', v2.id !== inline.id && JSON.stringify(versions.body) === '[1,2]', { v2, versions: versions.body });
  const latest2 = await http('GET', `/subjects/${encodeURIComponent(sub.inline)}/versions/latest`);
  check('GET latest returns version 2 with subject, version, id, schema', latest2.body.version === 2 && latest2.body.id === v2.id
    && latest2.body.subject === sub.inline && typeof latest2.body.schema === 'string', { version: latest2.body.version, id: latest2.body.id });

  const all = (await registry.api.Subject.all()).data();
  check('GET /subjects lists every subject registered', Object.values(sub).every(s => all.includes(s)), all.filter(s => s.startsWith(p)));
  const referencedBy = await http('GET', `/subjects/${encodeURIComponent(sub.chat)}/versions/1/referencedby`);
  check('referencedby names the referring schema id', JSON.stringify(referencedBy.body) === JSON.stringify([ev.id]), referencedBy.body);

  // config
  const subjCfg = await http('GET', `/config/${encodeURIComponent(sub.inline)}`);
  check('subject config set by the client on first registration', subjCfg.body.compatibilityLevel === 'BACKWARD', subjCfg.body);
  const putCfg = await http('PUT', `/config/${encodeURIComponent(sub.inline)}`, { compatibility: 'FULL' });
  const getCfg = await http('GET', `/config/${encodeURIComponent(sub.inline)}`);
  check('PUT /config/{s} FULL then GET', putCfg.status === 200 && putCfg.body.compatibility === 'FULL' && getCfg.body.compatibilityLevel === 'FULL', { putCfg, getCfg });
  const badCfg = await http('PUT', `/config/${encodeURIComponent(sub.inline)}`, { compatibility: 'SIDEWAYS' });
  check('PUT /config with an unknown level is 422 / 42203', badCfg.status === 422 && badCfg.body.error_code === 42203, badCfg);
  const unset = await http('GET', `/config/${encodeURIComponent(p + 'never-registered')}`);
  check('GET /config of a subject without its own level is 404 / 40408', unset.status === 404 && unset.body.error_code === 40408, unset);
  const putGlobal = await http('PUT', '/config', { compatibility: 'NONE' });
  const getGlobal = await http('GET', '/config');
  const restore = await http('PUT', '/config', { compatibility: globalCfg.body.compatibilityLevel });
  check('PUT /config (global) NONE, GET, restore', putGlobal.body.compatibility === 'NONE' && getGlobal.body.compatibilityLevel === 'NONE'
    && restore.status === 200, { putGlobal: putGlobal.body, getGlobal: getGlobal.body });
  const delCfg = await http('DELETE', `/config/${encodeURIComponent(sub.inline)}`);
  const afterDel = await http('GET', `/config/${encodeURIComponent(sub.inline)}?defaultToGlobal=true`);
  check('DELETE /config/{s} falls back to global', delCfg.status === 200 && afterDel.body.compatibilityLevel === globalCfg.body.compatibilityLevel, { delCfg: delCfg.body, afterDel: afterDel.body });

  // errors
  const noSubject = await http('GET', `/subjects/${encodeURIComponent(p + 'missing')}/versions/latest`);
  const noVersion = await http('GET', `/subjects/${encodeURIComponent(sub.inline)}/versions/99`);
  const noId = await http('GET', '/schemas/ids/999999');
  check('404s: unknown subject 40401, version 40402, id 40403', noSubject.body.error_code === 40401 && noVersion.body.error_code === 40402
    && noId.body.error_code === 40403 && [noSubject, noVersion, noId].every(r => r.status === 404), [noSubject.body, noVersion.body, noId.body]);

  // deletes
  const refDelete = await http('DELETE', `/subjects/${encodeURIComponent(sub.chat)}/versions/1`);
  check('deleting a referenced version is refused 422 / 42206', refDelete.status === 422 && refDelete.body.error_code === 42206, refDelete.body);
  const delV1 = await http('DELETE', `/subjects/${encodeURIComponent(sub.inline)}/versions/1`);
  const afterV1 = await http('GET', `/subjects/${encodeURIComponent(sub.inline)}/versions`);
  const withDeleted = await http('GET', `/subjects/${encodeURIComponent(sub.inline)}/versions?deleted=true`);
  check('soft DELETE version 1 answers 1; versions [2]; ?deleted=true [1,2]', delV1.body === 1 && JSON.stringify(afterV1.body) === '[2]'
    && JSON.stringify(withDeleted.body) === '[1,2]', { delV1: delV1.body, afterV1: afterV1.body, withDeleted: withDeleted.body });
  const stillById = await http('GET', `/schemas/ids/${inline.id}`);
  check('a soft-deleted version\'s id still resolves', stillById.status === 200, stillById.status);
  const delSubject = await http('DELETE', `/subjects/${encodeURIComponent(sub.inline)}`);
  const listed = (await http('GET', '/subjects')).body;
  const listedDeleted = (await http('GET', '/subjects?deleted=true')).body;
  check('soft DELETE subject answers [2]; gone from /subjects, back with ?deleted=true', JSON.stringify(delSubject.body) === '[2]'
    && !listed.includes(sub.inline) && listedDeleted.includes(sub.inline), delSubject.body);
  const hard = await http('DELETE', `/subjects/${encodeURIComponent(sub.inline)}?permanent=true`);
  const goneId = await http('GET', `/schemas/ids/${v2.id}`);
  check('permanent DELETE answers [1,2]; its ids are gone (40403)', JSON.stringify(hard.body) === '[1,2]' && goneId.body.error_code === 40403, { hard: hard.body, goneId: goneId.body });
  const hardWithoutSoft = await http('DELETE', `/subjects/${encodeURIComponent(sub.events)}?permanent=true`);
  check('permanent DELETE before a soft one is 404 / 40405', hardWithoutSoft.status === 404 && hardWithoutSoft.body.error_code === 40405, hardWithoutSoft.body);
  for (const s of [sub.events, sub.chat, sub.source]) {
    await http('DELETE', `/subjects/${encodeURIComponent(s)}`);
    await http('DELETE', `/subjects/${encodeURIComponent(s)}?permanent=true`);
  }
  const leftover = (await http('GET', '/subjects?deleted=true')).body.filter(s => s.startsWith(p));
  check('clean-up: referrer first, then referenced subjects, all permanently deleted', leftover.length === 0, leftover);
}

main().then(() => process.exit(summary()), (e) => { console.error(e); check('no unexpected exception', false, String(e)); process.exit(summary()); });
