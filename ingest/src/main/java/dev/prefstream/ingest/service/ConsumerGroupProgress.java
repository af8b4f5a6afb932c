package dev.prefstream.ingest.service;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Whether a consumer group (a Streams application id) has processed partitions up to given offsets.
 *
 * <p>A committed offset short of the target still counts as reached when nothing between the two is readable by a
 * read_committed reader: an exactly-once writer leaves a commit marker after its last record, and aborted records
 * are skipped, so comparing offsets alone would wait forever on a topic written transactionally. Such gaps are
 * checked by reading them with a group-less read_committed consumer.
 */
public final class ConsumerGroupProgress implements AutoCloseable {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration PROBE_POLL = Duration.ofMillis(200);
    private static final int PROBE_POLLS = 10;

    private final Admin admin;
    private final KafkaConsumer<byte[], byte[]> probe;
    private final String groupId;

    /**
     * @param clientConfig bootstrap and security settings (a group id in it is ignored)
     * @param groupId      the group whose committed offsets are compared
     */
    public ConsumerGroupProgress(Map<String, Object> clientConfig, String groupId) {
        Map<String, Object> probeConfig = new HashMap<>(clientConfig);
        probeConfig.remove(ConsumerConfig.GROUP_ID_CONFIG);
        probeConfig.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        probeConfig.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString().toLowerCase(Locale.ROOT));
        // a committed offset below the log start (retention deleted records the group had not read) puts the probe
        // out of range; the default "latest" reset would jump it to the end and report nothing left to read, while
        // the group restarts from the log start with records still to process. "earliest" reads those records.
        probeConfig.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        this.admin = Admin.create(clientConfig);
        this.probe = new KafkaConsumer<>(probeConfig, new ByteArrayDeserializer(), new ByteArrayDeserializer());
        this.groupId = groupId;
    }

    /** The group's committed offsets (empty when it has committed none). */
    public Map<TopicPartition, OffsetAndMetadata> committed() {
        try {
            return admin.listConsumerGroupOffsets(groupId).partitionsToOffsetAndMetadata()
                    .get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading the offsets of " + groupId, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the committed offsets of " + groupId, e);
        }
    }

    /**
     * The current end offsets (high watermarks) of the partitions: every record written so far lies below them.
     * Not the read_committed end (the last stable offset): that stops at the first open transaction, and records
     * of transactions committed after it started, interleaved behind it, would fall outside a target taken from it.
     * {@link #reached} waits for open transactions below a target to end.
     */
    public Map<TopicPartition, Long> endOffsets(List<TopicPartition> partitions) {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        partitions.forEach(p -> latest.put(p, OffsetSpec.latest()));
        try {
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_UNCOMMITTED)).all()
                    .get(REQUEST_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .forEach((p, info) -> ends.put(p, info.offset()));
            return ends;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading the end offsets of " + partitions, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot read the end offsets of " + partitions, e);
        }
    }

    /** True when, for every partition, the group has processed every readable record below the target offset. */
    public boolean reached(Map<TopicPartition, Long> targets) {
        Map<TopicPartition, OffsetAndMetadata> committed = committed();
        for (Map.Entry<TopicPartition, Long> target : targets.entrySet()) {
            OffsetAndMetadata at = committed.get(target.getKey());
            if (at != null && at.offset() >= target.getValue()) {
                continue;
            }
            if (readableBefore(target.getKey(), at == null ? null : at.offset(), target.getValue())) {
                return false;
            }
        }
        return true;
    }

    /** Whether a read_committed reader starting at {@code from} (null: the beginning) finds a record below {@code until}. */
    private boolean readableBefore(TopicPartition partition, Long from, long until) {
        probe.assign(List.of(partition));
        if (from == null) {
            probe.seekToBeginning(List.of(partition));
        } else {
            probe.seek(partition, from);
        }
        for (int i = 0; i < PROBE_POLLS; i++) {
            for (ConsumerRecord<byte[], byte[]> record : probe.poll(PROBE_POLL).records(partition)) {
                if (record.offset() < until) {
                    return true;
                }
            }
            if (probe.position(partition, REQUEST_TIMEOUT) >= until) {
                return false;
            }
        }
        // the reader could not get past an open transaction (or the broker was slow): not known to be done yet
        return true;
    }

    @Override
    public void close() {
        probe.close();
        admin.close(Duration.ofSeconds(5));
    }
}
