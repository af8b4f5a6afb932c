"""Scenario 1 (Python): prefstream's embedded registry through confluent_kafka.schema_registry.SchemaRegistryClient.
Subjects live under a per-run prefix and are deleted at the end."""
import json
import time

from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

from common import NS, REGISTRY, Checks, avsc, inlined

c = Checks()
p = f'interop-py-{int(time.time() * 1000)}-'
chat_subject, source_subject = p + NS + '.ChatMessage', p + NS + '.FeedbackSource'
events_subject, inline_subject = p + 'events-value', p + 'inline-value'


def client():
    return SchemaRegistryClient({'url': REGISTRY})  # a new one has an empty cache


def error_of(call):
    try:
        call()
    except SchemaRegistryError as e:
        return e
    return None


try:
    sr = client()
    chat_id = sr.register_schema(chat_subject, Schema(json.dumps(avsc('ChatMessage')), 'AVRO'))
    source_id = sr.register_schema(source_subject, Schema(json.dumps(avsc('FeedbackSource')), 'AVRO'))
    c.check('register ChatMessage and FeedbackSource', chat_id > 0 and source_id > 0 and chat_id != source_id, (chat_id, source_id))
    refs = [SchemaReference(NS + '.ChatMessage', chat_subject, 1), SchemaReference(NS + '.FeedbackSource', source_subject, 1)]
    event_schema = Schema(json.dumps(avsc('PreferenceEvent')), 'AVRO', refs)
    event_id = sr.register_schema(events_subject, event_schema)
    c.check('register PreferenceEvent.avsc with references', event_id > 0, event_id)
    c.check('re-registering the identical schema returns the same id', client().register_schema(events_subject, event_schema) == event_id)

    fetched = client().get_schema(event_id)
    c.check('get_schema(id): text and references', json.loads(fetched.schema_str)['name'] == 'PreferenceEvent'
            and sorted(r.name for r in fetched.references) == [NS + '.ChatMessage', NS + '.FeedbackSource'],
            [(r.name, r.subject, r.version) for r in fetched.references])

    inline_text = json.dumps(inlined('PreferenceEvent'))
    inline_id = sr.register_schema(inline_subject, Schema(inline_text, 'AVRO'))
    c.check('register inlined PreferenceEvent under another subject', inline_id not in (event_id, chat_id, source_id), inline_id)
    looked = client().lookup_schema(inline_subject, Schema(inline_text, 'AVRO'))
    c.check('lookup_schema finds subject, id, version 1', (looked.subject, looked.schema_id, looked.version) == (inline_subject, inline_id, 1),
            (looked.subject, looked.schema_id, looked.version))
    latest = client().get_latest_version(events_subject)
    c.check('get_latest_version', latest.schema_id == event_id and latest.version == 1
            and [r.name if isinstance(r, SchemaReference) else r['name'] for r in latest.schema.references] != [], (latest.schema_id, latest.version))
    v1 = client().get_version(inline_subject, 1)
    c.check('get_version(subject, 1)', v1.schema_id == inline_id and json.loads(v1.schema.schema_str)['name'] == 'PreferenceEvent')

    base = inlined('PreferenceEvent')
    compatible = dict(base, fields=base['fields'] + [{'name': 'interop_note', 'type': ['null', 'string'], 'default': None}])
    incompatible = dict(base, fields=base['fields'] + [{'name': 'interop_required', 'type': 'string'}])
    c.check('test_compatibility: new optional field compatible', sr.test_compatibility(inline_subject, Schema(json.dumps(compatible), 'AVRO')) is True)
    c.check('test_compatibility: new required field incompatible', sr.test_compatibility(inline_subject, Schema(json.dumps(incompatible), 'AVRO')) is False)
    e = error_of(lambda: sr.register_schema(inline_subject, Schema(json.dumps(incompatible), 'AVRO')))
    c.check('register incompatible -> 409', e is not None and e.http_status_code == 409 and e.error_code == 409, e and (e.http_status_code, e.error_code))
    v2_id = sr.register_schema(inline_subject, Schema(json.dumps(compatible), 'AVRO'))
    c.check('register compatible -> new id, versions [1, 2]', v2_id != inline_id and sr.get_versions(inline_subject) == [1, 2], sr.get_versions(inline_subject))
    c.check('get_subjects lists all four', {chat_subject, source_subject, events_subject, inline_subject} <= set(sr.get_subjects()))

    c.check('get_compatibility() global', sr.get_compatibility() in ('BACKWARD', 'BACKWARD_TRANSITIVE', 'FULL', 'NONE', 'FORWARD'), sr.get_compatibility())
    e = error_of(lambda: sr.get_compatibility(inline_subject))
    c.check('get_compatibility(subject) without its own level -> 40408', e is not None and e.error_code == 40408, e and e.error_code)
    put = sr.set_compatibility(inline_subject, 'FORWARD')
    c.check('set_compatibility(subject, FORWARD) then get', put == {'compatibility': 'FORWARD'} and sr.get_compatibility(inline_subject) == 'FORWARD', put)
    glob = sr.get_compatibility()
    sr.set_compatibility(level='FULL_TRANSITIVE')
    now = sr.get_compatibility()
    sr.set_compatibility(level=glob)
    c.check('set_compatibility(global) and restore', now == 'FULL_TRANSITIVE' and sr.get_compatibility() == glob, now)

    e = error_of(lambda: client().get_schema(987654))
    c.check('get_schema(unknown id) -> 404 / 40403', e is not None and e.http_status_code == 404 and e.error_code == 40403, e and e.error_code)
    e = error_of(lambda: sr.get_latest_version(p + 'missing'))
    c.check('get_latest_version(unknown subject) -> 40401', e is not None and e.error_code == 40401, e and e.error_code)
    e = error_of(lambda: sr.delete_version(chat_subject, 1))
    c.check('delete_version of a referenced schema -> 42206', e is not None and e.error_code == 42206, e and e.error_code)

    c.check('delete_version(subject, 1) answers 1', sr.delete_version(inline_subject, 1) == 1)
    c.check('get_versions afterwards [2]', sr.get_versions(inline_subject) == [2], sr.get_versions(inline_subject))
    c.check('delete_subject (soft) answers [2]', sr.delete_subject(inline_subject) == [2])
    c.check('subject gone from get_subjects', inline_subject not in sr.get_subjects())
    # confluent-kafka 1.7's delete_subject(permanent=True) soft-deletes first, which Confluent answers 40404 for a
    # subject already soft-deleted: so the permanent delete of this one goes through the client's REST helper
    e = error_of(lambda: sr.delete_subject(inline_subject))
    c.check('soft-deleting it again -> 404 / 40404', e is not None and e.error_code == 40404, e and e.error_code)
    hard = sr._rest_client.delete('subjects/{}?permanent=true'.format(inline_subject))
    c.check('DELETE ?permanent=true answers [1, 2]', hard == [1, 2], hard)
    e = error_of(lambda: client().get_schema(v2_id))
    c.check('its ids are gone -> 40403', e is not None and e.error_code == 40403, (v2_id, e and e.error_code))
    deleted = [sr.delete_subject(s, permanent=True) for s in (events_subject, chat_subject, source_subject)]
    c.check('delete_subject(permanent=True), referrer first, answers [1] each', deleted == [[1], [1], [1]], deleted)
    c.check('clean-up leaves no subject of this run', not [s for s in client().get_subjects() if s.startswith(p)])
except Exception as e:  # report, do not hide
    import traceback
    traceback.print_exc()
    c.check('no unexpected exception', False, repr(e))
c.exit()
