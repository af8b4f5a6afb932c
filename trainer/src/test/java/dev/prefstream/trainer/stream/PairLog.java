package dev.prefstream.trainer.stream;

import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.serde.AvroSerdes;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Test helper: writes pairs with explicit partitions and timestamps, and reads a pairs topic back independently. */
final class PairLog {

    /** Where a produced pair landed. */
    record Coord(String pairId, int partition, long offset, long timestamp) {
    }

    private PairLog() {
    }

    /** A fresh pairs topic shaped like preference-pairs (retained forever: the tests use realistic but fixed timestamps). */
    static String freshPairsTopic(dev.prefstream.devstack.testing.KafkaClusterExtension kafka, int partitions) {
        return kafka.createTopic("pairs-" + java.util.UUID.randomUUID().toString().substring(0, 8), partitions,
                Map.of("cleanup.policy", "delete", "retention.ms", "-1", "retention.bytes", "-1"));
    }

    /** A base timestamp near now, so that retention and segment rolling behave as in production. */
    static long nowBase() {
        return System.currentTimeMillis() - 3_600_000L;
    }

    /** Produces pairs round-robin over {@code partitions} with strictly increasing timestamps from {@code firstTs}. */
    static List<Coord> produce(Map<String, Object> clientWithRegistry, String topic, int partitions, List<PreferencePair> pairs, long firstTs) {
        Map<String, Object> c = new HashMap<>(clientWithRegistry);
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        List<Coord> out = new ArrayList<>();
        try (KafkaProducer<String, PreferencePair> p = new KafkaProducer<>(c, new StringSerializer(),
                AvroSerdes.specific(PreferencePair.class, clientWithRegistry, false).serializer())) {
            for (int i = 0; i < pairs.size(); i++) {
                PreferencePair pair = pairs.get(i);
                long ts = firstTs + i;
                RecordMetadata md = p.send(new ProducerRecord<>(topic, i % partitions, ts, pair.getPairId(), pair)).get();
                out.add(new Coord(pair.getPairId(), md.partition(), md.offset(), ts));
            }
        } catch (Exception e) {
            throw new IllegalStateException("producing pairs failed", e);
        }
        return out;
    }

    /** Every record of the topic (raw bytes and headers), partition by partition in offset order. */
    static List<ConsumerRecord<byte[], byte[]>> readRecords(Map<String, Object> client, String topic) {
        Map<String, Object> c = new HashMap<>(client);
        c.remove("schema.registry.url");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = consumer.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        out.sort(java.util.Comparator.comparingInt(ConsumerRecord<byte[], byte[]>::partition).thenComparingLong(ConsumerRecord::offset));
        return out;
    }

    /** Every record of the topic as partition@offset -> pair id, read with an independent group-less consumer. */
    static Map<String, String> readAll(Map<String, Object> client, String topic) {
        Map<String, Object> c = new HashMap<>(client);
        c.remove("schema.registry.url");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        Map<String, String> out = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> tps = consumer.partitionsFor(topic).stream().map(i -> new TopicPartition(topic, i.partition())).toList();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            var deser = AvroSerdes.specific(PreferencePair.class, client, false).deserializer();
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    out.put(r.partition() + "@" + r.offset(), deser.deserialize(topic, r.value()).getPairId());
                }
            }
        }
        return out;
    }
}
