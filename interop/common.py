"""Shared helpers for the Python interop checks (python3-confluent-kafka 1.7, fastavro)."""
import json
import os
import sys

AVRO_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'schemas', 'src', 'main', 'avro')
NS = 'dev.prefstream.schemas.avro'
REGISTRY = os.environ.get('REGISTRY_URL', 'http://localhost:8081')
BOOTSTRAP = os.environ.get('BOOTSTRAP', 'localhost:9092')


def avsc(name):
    with open(os.path.join(AVRO_DIR, name + '.avsc'), encoding='utf-8') as f:
        return json.load(f)


def inlined(name):
    """The schema with ChatMessage and FeedbackSource (own .avsc files) defined at their first use: confluent-kafka
    1.7's AvroSerializer takes one self-contained schema string (no references)."""
    external = {'ChatMessage': avsc('ChatMessage'), 'FeedbackSource': avsc('FeedbackSource')}
    defined = set()

    def walk(node):
        if isinstance(node, str):
            short = node[len(NS) + 1:] if node.startswith(NS + '.') else node
            if short in external and short not in defined:
                defined.add(short)
                return walk(external[short])
            return node
        if isinstance(node, list):
            return [walk(n) for n in node]
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                if k in ('type', 'items', 'values'):
                    out[k] = walk(v)
                elif k == 'fields':
                    out[k] = [walk(f) for f in v]
                else:
                    out[k] = v
            return out
        return node

    return walk(avsc(name))


class Checks:
    def __init__(self):
        self.results = []

    def check(self, name, ok, detail=None):
        self.results.append(bool(ok))
        print(('PASS' if ok else 'FAIL') + '  ' + name + ('' if detail is None else '  -- ' + str(detail)), flush=True)

    def summary(self):
        failed = self.results.count(False)
        print(f'{len(self.results) - failed} passed, {failed} failed')
        return 0 if failed == 0 else 1

    def exit(self):
        sys.exit(self.summary())
