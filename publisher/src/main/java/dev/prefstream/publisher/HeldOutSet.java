package dev.prefstream.publisher;

import dev.prefstream.checkpoint.split.HeldOutSplit;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The evaluation pairs: reads the pairs topic (its own group-less consumer, from the beginning) and keeps the pairs
 * that {@link HeldOutSplit} holds out, which the trainer never trains. Bounded: it keeps the {@code capacity} pairs
 * with the lowest split bucket, so the set does not depend on arrival order and changes only when a pair with a
 * lower bucket arrives (evaluations of successive checkpoints mostly see the same pairs).
 */
public final class HeldOutSet implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HeldOutSet.class);

    private record Key(long bucket, String pairId) implements Comparable<Key> {
        @Override
        public int compareTo(Key o) {
            int c = Long.compare(bucket, o.bucket);
            return c != 0 ? c : pairId.compareTo(o.pairId);
        }
    }

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final AvroDeserializer<PreferencePair> deserializer;
    private final HeldOutSplit split;
    private final int capacity;
    private final String topic;
    private final TreeMap<Key, PreferencePair> kept = new TreeMap<>();
    private List<TopicPartition> partitions;

    /**
     * @param kafka    client settings incl. schema.registry.url
     * @param topic    the pairs topic
     * @param split    the trainer's split (same fraction and salt)
     * @param capacity most pairs kept
     */
    public HeldOutSet(Map<String, Object> kafka, String topic, HeldOutSplit split, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("held-out capacity must be >= 1, got " + capacity);
        }
        this.topic = topic;
        this.split = split;
        this.capacity = capacity;
        Map<String, Object> c = new HashMap<>(kafka);
        c.remove("schema.registry.url");
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "prefstream-held-out-" + topic);
        this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.deserializer = new AvroDeserializer<>(PreferencePair.class);
        deserializer.configure(kafka, false);
    }

    /** Reads everything up to the topic's current end and returns the held-out pairs, lowest bucket first. */
    public synchronized List<PreferencePair> refresh() {
        if (partitions == null) {
            partitions = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
        int added = 0;
        while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                if (r.value() == null) {
                    continue;
                }
                PreferencePair p;
                try {
                    p = deserializer.deserialize(r.topic(), r.value());
                } catch (RuntimeException e) {
                    log.warn("Held-out set skips undecodable record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
                    continue;
                }
                if (split.isHeldOut(p.getPairId()) && offer(p)) {
                    added++;
                }
            }
        }
        if (added > 0) {
            log.info("Held-out set of {}: {} pairs ({} new)", topic, kept.size(), added);
        }
        return pairs();
    }

    /** Keeps {@code p} if it is among the lowest buckets; true when it was kept. */
    synchronized boolean offer(PreferencePair p) {
        Key k = new Key(split.bucket(p.getPairId()), p.getPairId());
        if (kept.containsKey(k)) {
            return false;
        }
        if (kept.size() >= capacity) {
            if (k.compareTo(kept.lastKey()) >= 0) {
                return false;
            }
            kept.pollLastEntry();
        }
        kept.put(k, p);
        return true;
    }

    /** The held-out pairs kept so far, lowest bucket first. */
    public synchronized List<PreferencePair> pairs() {
        return List.copyOf(new ArrayList<>(kept.values()));
    }

    @Override
    public void close() {
        consumer.close(Duration.ofSeconds(5));
        deserializer.close();
    }
}
