package dev.prefstream.devstack.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.schemas.registry.CompatibilityLevel;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The registry's durable state: a compacted single-partition topic with one record per registered version and
 * per config change, keyed like Confluent's {@code _schemas} topic ({@code {"keytype":"SCHEMA","subject":..,
 * "version":..}} / {@code {"keytype":"CONFIG","subject":..}}), so compaction keeps the latest of each.
 * Writes are synchronous (acks=all): a registration is answered only once it is stored.
 */
final class SchemaLog implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(SchemaLog.class);

    /** A replayed entry: a version, a permanently deleted version, or a config change (level null = subject config removed). */
    sealed interface Entry permits VersionEntry, PurgedEntry, ConfigEntry {
    }

    record VersionEntry(StoredVersion version) implements Entry {
    }

    /** A permanently deleted version; {@code id} is 0 when the record was a plain tombstone. */
    record PurgedEntry(String subject, int version, int id) implements Entry {
    }

    /** @param subject null for the global config */
    record ConfigEntry(String subject, CompatibilityLevel level) implements Entry {
    }

    private final String topic;
    private final Map<String, Object> clientConfig;
    private final Duration timeout;
    private final ObjectMapper json;
    private final KafkaProducer<byte[], byte[]> producer;

    SchemaLog(String topic, Map<String, Object> clientConfig, Duration timeout, ObjectMapper json) {
        this.topic = topic;
        this.clientConfig = Map.copyOf(clientConfig);
        this.timeout = timeout;
        this.json = json;
        Map<String, Object> producerConfig = new HashMap<>(clientConfig);
        producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
        producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        producerConfig.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        producerConfig.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 30_000));
        producerConfig.put(ProducerConfig.CLIENT_ID_CONFIG, "prefstream-registry-writer");
        this.producer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
    }

    /** Reads the topic from the beginning to its current end, handing each entry to {@code sink} in order. */
    int replay(Consumer<Entry> sink) {
        Map<String, Object> consumerConfig = new HashMap<>(clientConfig);
        consumerConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        consumerConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        consumerConfig.put(ConsumerConfig.CLIENT_ID_CONFIG, "prefstream-registry-reader");
        consumerConfig.put(ConsumerConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        TopicPartition partition = new TopicPartition(topic, 0);
        int count = 0;
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition), timeout).get(partition);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (consumer.position(partition, timeout) < end) {
                if (System.nanoTime() > deadline) {
                    throw new RegistryError(RegistryError.STORE_ERROR, "could not read " + topic + " to its end (" + end + ") within " + timeout);
                }
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    Entry entry = decode(record);
                    if (entry != null) {
                        sink.accept(entry);
                        count++;
                    }
                }
            }
        }
        return count;
    }

    void writeVersion(StoredVersion v) {
        ObjectNode key = json.createObjectNode().put("keytype", "SCHEMA").put("subject", v.subject()).put("version", v.version()).put("magic", 1);
        ObjectNode value = json.createObjectNode()
                .put("subject", v.subject()).put("version", v.version()).put("id", v.id())
                .put("schema", v.schema()).put("schemaType", v.schemaType()).put("deleted", v.deleted());
        value.set("references", json.valueToTree(v.references()));
        send(key, value);
    }

    /**
     * Records a permanent delete. Confluent writes a tombstone here; we write a small marker without the schema
     * text instead, so that after compaction the id and version number stay reserved and are never handed out
     * again (a reused id would make old records decode with a different schema). Costs one tiny record per purge.
     */
    void writePurge(StoredVersion v) {
        ObjectNode key = json.createObjectNode().put("keytype", "SCHEMA").put("subject", v.subject()).put("version", v.version()).put("magic", 1);
        ObjectNode value = json.createObjectNode()
                .put("subject", v.subject()).put("version", v.version()).put("id", v.id()).put("purged", true);
        send(key, value);
    }

    void writeConfig(String subject, CompatibilityLevel level) {
        ObjectNode key = json.createObjectNode().put("keytype", "CONFIG").put("subject", subject).put("magic", 0);
        ObjectNode value = level == null ? null : json.createObjectNode().put("compatibilityLevel", level.name());
        send(key, value);
    }

    private void send(ObjectNode key, ObjectNode value) {
        try {
            byte[] keyBytes = json.writeValueAsBytes(key);
            byte[] valueBytes = value == null ? null : json.writeValueAsBytes(value);
            producer.send(new ProducerRecord<>(topic, 0, keyBytes, valueBytes)).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RegistryError(RegistryError.STORE_ERROR, "interrupted while storing to " + topic, e);
        } catch (ExecutionException | TimeoutException | IOException e) {
            Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
            throw new RegistryError(RegistryError.STORE_ERROR, "Error while storing to " + topic + ": " + cause.getMessage(), cause);
        }
    }

    private Entry decode(ConsumerRecord<byte[], byte[]> record) {
        try {
            JsonNode key = json.readTree(record.key());
            String keytype = key.path("keytype").asText();
            switch (keytype) {
                case "SCHEMA" -> {
                    if (record.value() == null) {
                        return new PurgedEntry(key.path("subject").asText(), key.path("version").asInt(), 0);
                    }
                    JsonNode v = json.readTree(record.value());
                    if (v.path("purged").asBoolean(false)) {
                        return new PurgedEntry(v.get("subject").asText(), v.get("version").asInt(), v.path("id").asInt(0));
                    }
                    List<SchemaReference> refs = v.hasNonNull("references")
                            ? List.of(json.treeToValue(v.get("references"), SchemaReference[].class)) : List.of();
                    return new VersionEntry(new StoredVersion(v.get("subject").asText(), v.get("version").asInt(), v.get("id").asInt(),
                            v.get("schema").asText(), v.path("schemaType").asText("AVRO"), refs, v.path("deleted").asBoolean(false)));
                }
                case "CONFIG" -> {
                    String subject = key.hasNonNull("subject") ? key.get("subject").asText() : null;
                    CompatibilityLevel level = record.value() == null ? null
                            : CompatibilityLevel.parse(json.readTree(record.value()).path("compatibilityLevel").asText());
                    return new ConfigEntry(subject, level);
                }
                default -> {
                    log.debug("skipping {} record at offset {} of {}", keytype, record.offset(), topic);
                    return null;
                }
            }
        } catch (IOException | RuntimeException e) {
            log.warn("skipping unreadable record at offset {} of {}: {}", record.offset(), topic, e.toString());
            return null;
        }
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
