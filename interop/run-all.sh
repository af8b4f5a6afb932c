#!/usr/bin/env bash
# Runs every interop check against a fresh `prefstream up` + `prefstream ingest` (ports 9092/9093/8081 must be free),
# then stops both and deletes their data. Dependencies are installed outside the repo (see README.md), found via
# INTEROP_DEPS (default /tmp/interop: node_modules/ and py/ with fastavro). Not run by CI.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
deps=${INTEROP_DEPS:-/tmp/interop}
python=${INTEROP_PYTHON:-/usr/bin/python3}
work=$(mktemp -d /tmp/prefstream-interop.XXXXXX)
# a copy: rebuilding cli/target/prefstream.jar under a running JVM makes it fail to load classes
cp "$repo/cli/target/prefstream.jar" "$work/prefstream.jar"
java_run=(java -Dai.djl.offline=true -jar "$work/prefstream.jar")

up_pid= ingest_pid=
cleanup() {
  [ -n "$ingest_pid" ] && kill "$ingest_pid" 2>/dev/null && wait "$ingest_pid" 2>/dev/null
  [ -n "$up_pid" ] && kill "$up_pid" 2>/dev/null && wait "$up_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

"${java_run[@]}" up --data "$work/data" > "$work/up.log" 2>&1 & up_pid=$!  # the java pid itself, so kill stops it
for _ in $(seq 120); do curl -sf http://localhost:8081/config > /dev/null && break; sleep 1; done
curl -sf http://localhost:8081/config > /dev/null || { echo "prefstream up did not start:"; tail -20 "$work/up.log"; exit 1; }
printf 'state.dir=%s/streams\n' "$work" > "$work/ingest.properties"
"${java_run[@]}" ingest --config "$work/ingest.properties" --metrics-port -1 > "$work/ingest.log" 2>&1 & ingest_pid=$!
for _ in $(seq 120); do grep -q -- '-> RUNNING' "$work/ingest.log" && break; sleep 1; done
"${java_run[@]}" import "$here/trl-sample.jsonl" 2>&1 | tail -1

status=0
cd "$here"
export KAFKAJS_NO_PARTITIONER_WARNING=1
echo "== registry-check.js";  NODE_PATH="$deps/node_modules" node registry-check.js || status=1
echo "== pipeline.js";        NODE_PATH="$deps/node_modules" node pipeline.js || status=1
echo "== registry_check.py";  PYTHONPATH="$deps/py" "$python" registry_check.py || status=1
echo "== pipeline.py";        PYTHONPATH="$deps/py" "$python" pipeline.py || status=1
grep -E ' (ERROR|WARN) ' "$work/ingest.log" | grep -v -e NetworkClient -e StreamsConfig -e StateDirectory -e DeadLetter | tail -5
exit $status
