package dev.prefstream.cli.demo;

import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Reads a whole topic once (committed records only) to count what is on it, for the report. */
final class TopicTally {

    private TopicTally() {
    }

    /** Pairs on the pairs topic by judgement kind ("RATING", "FEEDBACK", ...). */
    static Map<String, Long> pairsByKind(Map<String, Object> kafka, String topic) {
        Map<String, Long> out = new TreeMap<>();
        try (AvroDeserializer<PreferencePair> d = new AvroDeserializer<>(PreferencePair.class)) {
            d.configure(kafka, false);
            readAll(kafka, topic, r -> {
                PreferencePair p = d.deserialize(r.topic(), r.value());
                out.merge(p.getKind().name(), 1L, Long::sum);
            });
        }
        return out;
    }

    /** Records on a topic. */
    static long count(Map<String, Object> kafka, String topic) {
        long[] n = {0};
        readAll(kafka, topic, r -> n[0]++);
        return n[0];
    }

    private static void readAll(Map<String, Object> kafka, String topic,
                                java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
        Map<String, Object> c = new HashMap<>(kafka);
        c.remove("schema.registry.url");
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps, Duration.ofSeconds(30));
            long deadline = System.currentTimeMillis() + 60_000;
            while (System.currentTimeMillis() < deadline) {
                boolean done = true;
                for (TopicPartition tp : tps) {
                    if (consumer.position(tp, Duration.ofSeconds(30)) < end.get(tp)) {
                        done = false;
                    }
                }
                if (done) {
                    return;
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null) {
                        each.accept(r);
                    }
                }
            }
        }
    }
}
