"""Scenarios 2-4 (Python): confluent-kafka 1.7 (librdkafka) + its schema-registry serde (fastavro) against prefstream.
  2. PreferenceEvents encoded by confluent_kafka's AvroSerializer (self-contained schema, auto-registered under
     preference-events-value) go through `prefstream ingest`; pairs decoded by its AvroDeserializer; garbage -> DLQ.
  3. The events `prefstream import interop/trl-sample.jsonl` wrote (Java serializer, lz4) decode here.
  4. Producer/consumer/admin basics, idempotence, a transaction (aborted + committed) read with read_committed.
Needs `prefstream up` and `prefstream ingest` running. Usage: pipeline.py [2|3|4]"""
import json
import os
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from common import BOOTSTRAP, NS, REGISTRY, Checks, inlined

c = Checks()
tag = f'py-{int(time.time() * 1000)}'
TIMEOUT_S = float(os.environ.get('TIMEOUT_S', '90'))
sr = SchemaRegistryClient({'url': REGISTRY})


def read_topic(topic, mapper, done, timeout_s=TIMEOUT_S, **conf):
    """Reads topic from the beginning with a fresh group until done(records) or the timeout."""
    consumer = Consumer({'bootstrap.servers': BOOTSTRAP, 'group.id': f'interop-{tag}-{uuid.uuid4()}', 'auto.offset.reset': 'earliest',
                         'enable.auto.commit': False, **conf})
    consumer.subscribe([topic])
    records, deadline = [], time.time() + timeout_s
    try:
        while time.time() < deadline and not done(records):
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                raise KafkaException(msg.error())
            r = mapper(msg)
            if r is not None:
                records.append(r)
    finally:
        consumer.close()
    return records


def event(eid, conversation, responses, kind, judgement):
    return {
        'event_id': f'{tag}-{eid}', 'occurred_at': int(time.time() * 1000), 'source': 'HUMAN', 'annotator_id': 'interop-user',
        'conversation_id': f'{tag}-{conversation}',
        'prompt': [{'role': 'system', 'content': 'Be brief.'}, {'role': 'user', 'content': f'{tag} {conversation}: which answer is better?'}],
        'responses': [{'response_id': rid, 'text': f'{text} ({tag})', 'model_version': None} for rid, text in responses],
        # fastavro picks a union branch by name with the "-type" key
        'judgement': dict(judgement, **{'-type': f'{NS}.{kind}'}),
        'weight': None, 'confidence': None, 'tenant': None, 'metadata': {'client': 'confluent-kafka-python'},
    }


def scenario2():
    serializer = AvroSerializer(sr, json.dumps(inlined('PreferenceEvent')))  # auto.register.schemas=true (default)
    producer = Producer({'bootstrap.servers': BOOTSTRAP, 'enable.idempotence': True})
    events = [
        event('cmp', 'cmp', [('a', 'Paris is the capital of France.'), ('b', 'Lyon.')], 'Comparison',
              {'response_a': 'a', 'response_b': 'b', 'outcome': 'B', 'strength': 0.8}),
        event('rank', 'rank', [('x', 'Ranked first'), ('y', 'Tied second'), ('z', 'Also second')], 'Ranking', {'tiers': [['x'], ['y', 'z']]}),
        event('rate', 'rate', [('p', 'Rated four'), ('q', 'Rated two')], 'Rating',
              {'scale_min': 0.0, 'scale_max': 5.0, 'scores': [{'response_id': 'p', 'score': None, 'aspects': {'helpfulness': 4.0, 'honesty': 4.0}},
                                                               {'response_id': 'q', 'score': None, 'aspects': {'helpfulness': 2.0, 'honesty': 2.0}}]}),
        event('down', 'thumbs', [('d', 'Thumbed down')], 'Feedback', {'response_id': 'd', 'thumb': 'DOWN'}),
        event('up', 'thumbs', [('u', 'Thumbed up')], 'Feedback', {'response_id': 'u', 'thumb': 'UP'}),
        event('scale', 'scale', [('s', 'One'), ('t', 'Two')], 'Rating',
              {'scale_min': 1.0, 'scale_max': 5.0, 'scores': [{'response_id': 's', 'score': 9.0, 'aspects': {}}, {'response_id': 't', 'score': 1.0, 'aspects': {}}]}),
    ]
    ctx = SerializationContext('preference-events', MessageField.VALUE)
    for e in events:
        producer.produce('preference-events', key=e['event_id'], value=serializer(e, ctx))
    producer.produce('preference-events', key=f'{tag}-garbage', value=b'\x00\x00\x00', headers={'interop-tag': tag})
    producer.flush(30)
    latest = sr.get_latest_version('preference-events-value')
    c.check('events produced; the self-contained schema is registered under preference-events-value', latest.schema_id > 0,
            (latest.schema_id, latest.version))

    deserializer = AvroDeserializer(sr)
    pctx = SerializationContext('preference-pairs', MessageField.VALUE)

    def pair_of(msg):
        p = deserializer(msg.value(), pctx)
        return p if any(tag in m['content'] for m in p['prompt']) else None

    pairs = read_topic('preference-pairs', pair_of, lambda rs: len(rs) >= 5)
    by = {p['kind']: p for p in pairs}
    strip = lambda s: s.replace(f' ({tag})', '')
    c.check('5 pairs decoded by AvroDeserializer (2 from the ranking)', len(pairs) == 5 and len(by) == 4, sorted(p['kind'] for p in pairs))
    p = by.get('COMPARISON')
    c.check('comparison B wins, strength 0.8 is the margin', p and (strip(p['chosen']), strip(p['rejected']), p['score_margin']) == ('Lyon.', 'Paris is the capital of France.', 0.8),
            p and (p['chosen'], p['rejected'], p['score_margin']))
    ranked = sorted((strip(p['chosen']), strip(p['rejected']), p['score_margin']) for p in pairs if p['kind'] == 'RANKING')
    c.check('ranking [[x],[y,z]] BEST_VS_WORST: x over each of the tied worst, margin 1', ranked == [('Ranked first', 'Also second', 1.0),
            ('Ranked first', 'Tied second', 1.0)], ranked)
    p = by.get('RATING')
    c.check('rating with aspects only: mean 4 over 2, margin 2', p and (strip(p['chosen']), strip(p['rejected']), p['score_margin']) == ('Rated four', 'Rated two', 2.0),
            p and (p['chosen'], p['rejected'], p['score_margin']))
    p = by.get('FEEDBACK')
    c.check('thumbs DOWN then UP on one prompt: up over down', p and (strip(p['chosen']), strip(p['rejected'])) == ('Thumbed up', 'Thumbed down')
            and sorted(p['event_ids']) == sorted([f'{tag}-up', f'{tag}-down']), p and (p['chosen'], p['rejected'], p['event_ids']))
    c.check('created_at decodes as a timestamp (timestamp-millis)', pairs and all(hasattr(x['created_at'], 'year') for x in pairs),
            pairs and pairs[0]['created_at'])

    def dead(msg):
        key = msg.key().decode() if msg.key() else ''
        return (key, dict((k, v.decode() if v else v) for k, v in (msg.headers() or [])), msg.value()) if key.startswith(tag) else None

    dlq = {k: (h, v) for k, h, v in read_topic('preference-events-dlq', dead, lambda rs: {f'{tag}-garbage', f'{tag}-scale'} <= {r[0] for r in rs})}
    h, v = dlq.get(f'{tag}-garbage', ({}, None))
    c.check('garbage (3 bytes) -> DLQ not_wire_format with source coordinates, original bytes and headers', h.get('prefstream.dlq.reason') == 'not_wire_format'
            and v == b'\x00\x00\x00' and h.get('interop-tag') == tag and h.get('prefstream.dlq.source.topic') == 'preference-events', h)
    h, v = dlq.get(f'{tag}-scale', ({}, None))
    c.check('score outside the scale -> DLQ invalid_score; the dead letter decodes here', h.get('prefstream.dlq.reason') == 'invalid_score'
            and v is not None and AvroDeserializer(sr)(v, ctx)['event_id'] == f'{tag}-scale', h.get('prefstream.dlq.reason'))
    c.check('nothing else of this run dead-lettered', set(dlq) == {f'{tag}-garbage', f'{tag}-scale'}, sorted(dlq))


def scenario3():
    here = os.path.dirname(os.path.abspath(__file__))
    text = lambda v: v if isinstance(v, str) else '\n'.join(m['content'] for m in v)
    with open(os.path.join(here, 'trl-sample.jsonl'), encoding='utf-8') as f:
        lines = [json.loads(l) for l in f if l.strip()]
    prompts = {text(l['prompt']): l for l in lines}
    deserializer = AvroDeserializer(sr)
    ctx = SerializationContext('preference-events', MessageField.VALUE)

    def imported(msg):
        try:
            e = deserializer(msg.value(), ctx)
        except Exception:  # scenario 2's garbage, or a schema with references (confluent-kafka 1.7 cannot resolve them)
            return None
        return e if e and any(m['content'] in prompts for m in e['prompt']) else None

    events = read_topic('preference-events', imported, lambda rs: len({m['content'] for e in rs for m in e['prompt']} & set(prompts)) == len(prompts))
    for prompt, line in prompts.items():
        e = next((e for e in events if any(m['content'] == prompt for m in e['prompt'])), None)
        texts = e and {r['response_id']: r['text'] for r in e['responses']}
        j = e and e['judgement']
        if e and 'outcome' in j:
            win, lose = (j['response_a'], j['response_b']) if j['outcome'] == 'A' else (j['response_b'], j['response_a'])
            ok = (texts[win], texts[lose]) == (text(line['chosen']), text(line['rejected']))
        elif e and 'scores' in j:
            by = {texts[s['response_id']]: s['score'] for s in j['scores']}
            ok = by == {line['chosen']: line['score_chosen'], line['rejected']: line['score_rejected']}
        else:
            ok = False
        c.check(f'imported by prefstream (lz4, Java serde), decoded here: {prompt!r}', ok and hasattr(e['occurred_at'], 'year'), e and (list(texts.values()), j))


def scenario4():
    admin = AdminClient({'bootstrap.servers': BOOTSTRAP})
    topic, tx_topic = f'interop-basics-{tag}', f'interop-tx-{tag}'
    for f in admin.create_topics([NewTopic(topic, 3, 1), NewTopic(tx_topic, 1, 1)]).values():
        f.result(30)
    md = admin.list_topics(timeout=10)
    c.check('admin: created topics (3 and 1 partitions), one broker', len(md.topics[topic].partitions) == 3 and len(md.topics[tx_topic].partitions) == 1
            and len(md.brokers) == 1, (len(md.topics[topic].partitions), list(md.brokers)))

    for codec in ('lz4', 'zstd', 'snappy', 'gzip'):
        producer = Producer({'bootstrap.servers': BOOTSTRAP, 'enable.idempotence': True, 'compression.type': codec, 'linger.ms': 5})
        reports = []
        for i in range(20):
            producer.produce(topic, key=f'k{i % 4}', value=f'{codec}-{i}', headers={'n': str(i)}, on_delivery=lambda err, m: reports.append(err))
        producer.flush(30)
        c.check(f'idempotent produce with {codec}: 20 acks, no error', len(reports) == 20 and not any(reports), [str(r) for r in reports if r][:3])
    got = read_topic(topic, lambda m: (m.partition(), m.key().decode(), m.value().decode(), dict(m.headers())['n'].decode()), lambda rs: len(rs) >= 80)
    key_partitions = {}
    for part, key, value, n in got:
        key_partitions.setdefault(key, set()).add(part)
    c.check('consumer reads all 80 records, values and headers intact, each key on one partition', len(got) == 80
            and all(value.endswith(f'-{n}') for _, _, value, n in got) and all(len(s) == 1 for s in key_partitions.values()), len(got))

    group = f'interop-{tag}-commit'
    consumer = Consumer({'bootstrap.servers': BOOTSTRAP, 'group.id': group, 'auto.offset.reset': 'earliest', 'enable.auto.commit': False})
    consumer.subscribe([topic])
    n, deadline = 0, time.time() + 30
    while n < 80 and time.time() < deadline:
        m = consumer.poll(0.5)
        if m is not None and not m.error():
            n += 1
    consumer.commit(asynchronous=False)
    committed = consumer.committed([TopicPartition(topic, p) for p in range(3)], timeout=10)
    consumer.close()
    c.check('synchronous commit: committed offsets add up to 80', sum(tp.offset for tp in committed) == 80, [tp.offset for tp in committed])

    tx = Producer({'bootstrap.servers': BOOTSTRAP, 'transactional.id': f'interop-{tag}'})
    tx.init_transactions(30)
    tx.begin_transaction()
    tx.produce(tx_topic, value=b'aborted-1')
    tx.produce(tx_topic, value=b'aborted-2')
    tx.flush(30)  # on the log before the abort (abort_transaction purges what librdkafka has not sent yet)
    tx.abort_transaction(30)
    tx.begin_transaction()
    tx.produce(tx_topic, value=b'committed-1')
    tx.produce(tx_topic, value=b'committed-2')
    tx.commit_transaction(30)
    committed_only = read_topic(tx_topic, lambda m: m.value().decode(), lambda rs: len(rs) >= 2, timeout_s=15, **{'isolation.level': 'read_committed'})
    everything = read_topic(tx_topic, lambda m: m.value().decode(), lambda rs: len(rs) >= 4, timeout_s=15, **{'isolation.level': 'read_uncommitted'})
    c.check('transactions: read_committed sees only the committed records', committed_only == ['committed-1', 'committed-2'], committed_only)
    c.check('transactions: read_uncommitted sees the aborted ones too', sorted(everything) == ['aborted-1', 'aborted-2', 'committed-1', 'committed-2'], everything)

    for f in admin.delete_topics([topic, tx_topic]).values():
        f.result(30)
    c.check('admin: delete the test topics', True)


try:
    only = sys.argv[1] if len(sys.argv) > 1 else None
    for name, run in (('2', scenario2), ('3', scenario3), ('4', scenario4)):
        if only in (None, name):
            run()
except Exception as e:
    import traceback
    traceback.print_exc()
    c.check('no unexpected exception', False, repr(e))
c.exit()
