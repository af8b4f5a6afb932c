package dev.prefstream.checkpoint.registry;

import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Reads the registry topic from the beginning to its current end with a group-less consumer (so reading never
 * disturbs anyone's offsets) and answers list / latest questions.
 *
 * @param history every version's latest verdict, in first-announced order
 * @param latest  the last PROMOTED record per model in log order (the topic has one partition)
 * @param undecodable how many records were skipped because they do not deserialize (the topic is an input too:
 *                    anyone allowed to produce to it can write garbage, and one such record must not stop a reader)
 */
public record RegistryReader(List<ModelCheckpoint> history, Map<String, ModelCheckpoint> latest, long undecodable) {

    /** The metric of a record that ranks promoted checkpoints: the publisher's held-out accuracy. */
    public static final String ACCURACY = "eval/accuracy";

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(RegistryReader.class);

    /** Reads the whole topic now. */
    public static RegistryReader read(Map<String, Object> kafka, String topic) {
        Map<String, Object> c = consumerConfig(kafka);
        AvroDeserializer<ModelCheckpoint> values = valueDeserializer(kafka);
        LinkedHashMap<String, ModelCheckpoint> versions = new LinkedHashMap<>();
        Map<String, ModelCheckpoint> latest = new LinkedHashMap<>();
        long undecodable = 0;
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, Duration.ofSeconds(30));
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        continue; // a tombstone deletes nothing we keep
                    }
                    ModelCheckpoint mc;
                    try {
                        mc = values.deserialize(r.topic(), r.value());
                    } catch (RuntimeException e) { // SerdeException, incl. hostile nesting (see AvroDeserializer)
                        undecodable++;
                        log.warn("Registry reader skips undecodable record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
                        continue;
                    }
                    // the value is the truth; the same verdict arrives under the model key and the version key
                    versions.put(RegistryKeys.version(mc.getModelName(), mc.getVersion()), mc);
                    if (mc.getStatus() == CheckpointStatus.PROMOTED) {
                        latest.put(mc.getModelName(), mc);
                    }
                }
            }
        } finally {
            values.close();
        }
        return new RegistryReader(List.copyOf(versions.values()), Map.copyOf(latest), undecodable);
    }

    /** Every version of {@code model} (all models when empty). */
    public List<ModelCheckpoint> list(Optional<String> model) {
        List<ModelCheckpoint> out = new ArrayList<>();
        for (ModelCheckpoint mc : history) {
            if (model.isEmpty() || model.get().equals(mc.getModelName())) {
                out.add(mc);
            }
        }
        return out;
    }

    /** Accuracy of a promoted record, read from its metrics ({@value #ACCURACY}), if it has one. */
    public static OptionalDouble accuracyOf(ModelCheckpoint promoted) {
        Double a = promoted.getMetrics().get(ACCURACY);
        return a == null ? OptionalDouble.empty() : OptionalDouble.of(a);
    }

    /** The promoted checkpoint of {@code model} with the highest held-out accuracy (the latest among equals). */
    public Optional<ModelCheckpoint> bestPromoted(String model) {
        return list(Optional.of(model)).stream()
                .filter(mc -> mc.getStatus() == CheckpointStatus.PROMOTED && accuracyOf(mc).isPresent())
                .reduce((best, mc) -> accuracyOf(mc).getAsDouble()
                        >= accuracyOf(best).getAsDouble() ? mc : best);
    }

    /** A record of {@code version} of {@code model}, or of a later step, if the topic has one (catch-up on resume). */
    public Optional<ModelCheckpoint> sameOrNewer(String model, String version, long step) {
        return list(Optional.of(model)).stream()
                .filter(mc -> mc.getVersion().equals(version) || mc.getStep() >= step)
                .findFirst();
    }

    /** The latest promoted checkpoint of {@code model}. */
    public Optional<ModelCheckpoint> latestPromoted(String model) {
        return Optional.ofNullable(latest.get(model));
    }

    /**
     * Config of a consumer that reads model-registry from the start without a group (no commits, committed
     * transactions only): the Kafka client keys of {@code kafka} without the registry URL.
     */
    public static Map<String, Object> consumerConfig(Map<String, Object> kafka) {
        Map<String, Object> c = new HashMap<>(kafka);
        c.remove("schema.registry.url");
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return c;
    }

    /** Deserializer of the registry's values, configured from {@code kafka} (which holds schema.registry.url). */
    public static AvroDeserializer<ModelCheckpoint> valueDeserializer(Map<String, Object> kafka) {
        AvroDeserializer<ModelCheckpoint> values = new AvroDeserializer<>(ModelCheckpoint.class);
        values.configure(kafka, false);
        return values;
    }
}
