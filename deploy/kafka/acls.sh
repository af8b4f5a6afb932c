#!/bin/sh
# One principal per service, each allowed exactly what it does (compose.yaml runs this once, as admin):
#   ingest     reads preference-events, writes preference-pairs and preference-events-dlq (Kafka Streams, exactly-once)
#   trainer    reads preference-pairs, writes model-candidates and preference-pairs-dlq, reads model-registry (resume)
#   publisher  reads model-candidates and preference-pairs (held-out set), writes and reads model-registry
#   serving    reads model-registry (CheckpointFollower)
#   registry   the schema registry's own _schemas topic
set -eu
K="/opt/kafka/bin/kafka-acls.sh --bootstrap-server kafka:19092 --command-config /deploy/clients/admin.properties"
T="--resource-pattern-type"

# ingest (application.id prefstream-ingest: its internal topics, group and transactional ids share the prefix)
$K --add --allow-principal User:ingest --operation Read --operation Describe --topic preference-events
$K --add --allow-principal User:ingest --operation Write --operation Describe --operation Create --topic preference-pairs --topic preference-events-dlq
$K --add --allow-principal User:ingest --operation All --topic prefstream-ingest $T prefixed
$K --add --allow-principal User:ingest --operation All --group prefstream-ingest $T prefixed
$K --add --allow-principal User:ingest --operation All --transactional-id prefstream-ingest $T prefixed
$K --add --allow-principal User:ingest --operation IdempotentWrite --cluster

# trainer
$K --add --allow-principal User:trainer --operation Read --operation Describe --topic preference-pairs --topic model-registry
$K --add --allow-principal User:trainer --operation Write --operation Describe --operation Create --topic model-candidates --topic preference-pairs-dlq
$K --add --allow-principal User:trainer --operation Read --group prefstream-trainer $T prefixed
$K --add --allow-principal User:trainer --operation IdempotentWrite --cluster

# publisher
$K --add --allow-principal User:publisher --operation Read --operation Describe --topic model-candidates --topic preference-pairs
$K --add --allow-principal User:publisher --operation Read --operation Write --operation Describe --operation Create --topic model-registry
$K --add --allow-principal User:publisher --operation Read --group prefstream-publisher $T prefixed
$K --add --allow-principal User:publisher --operation IdempotentWrite --cluster

# serving
$K --add --allow-principal User:serving --operation Read --operation Describe --topic model-registry

# schema registry
$K --add --allow-principal User:registry --operation All --topic _schemas
$K --add --allow-principal User:registry --operation All --group schema-registry $T prefixed
$K --add --allow-principal User:registry --operation DescribeConfigs --cluster
