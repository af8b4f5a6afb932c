package dev.prefstream.ingest.service;

import dev.prefstream.devstack.testing.KafkaClusterExtension;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link ConsumerGroupProgress#reached} on the real in-process broker: committed offsets compared with targets,
 * where a gap made only of transaction control markers or aborted records counts as done and a readable record
 * does not.
 *
 * <p>{@code reached} answers false both for "work left" and for "could not tell yet" (a slow probe), and a caller
 * polls it. So a true answer proves the rule; a false one is always followed by the commit that makes it true, which
 * shows the false came from the offsets and not from a slow broker.
 */
class ConsumerGroupProgressTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension();

    private static final Duration WAIT = Duration.ofSeconds(60);

    private String group;
    private TopicPartition partition;
    private ConsumerGroupProgress progress;

    @BeforeEach
    void setUp() {
        group = "progress-" + UUID.randomUUID().toString().substring(0, 8);
        partition = new TopicPartition(kafka.freshTopic("progress", 1), 0);
        progress = new ConsumerGroupProgress(kafka.clientConfig(), group);
    }

    @AfterEach
    void tearDown() {
        progress.close();
    }

    @Test
    void aCommittedOffsetAtOrBeyondTheTargetIsReached() throws Exception {
        producePlain(3);
        long end = awaitEndOffset(3);
        commit(3);
        assertThat(progress.reached(Map.of(partition, end))).isTrue();
        assertThat(progress.reached(Map.of(partition, 2L))).isTrue();
    }

    @Test
    void aGapOfOnlyTheCommitMarkerOfATransactionIsReached() throws Exception {
        produceInTransaction(4, true);
        // four records at 0..3, the commit marker at 4
        long end = awaitEndOffset(5);
        // what a read_committed consumer commits after the last record: the marker stays unconsumed
        commit(4);
        assertThat(progress.committed().get(partition).offset()).isEqualTo(4);
        assertThat(progress.reached(Map.of(partition, end))).isTrue();
    }

    @Test
    void aReadableRecordBeyondTheCommittedOffsetIsNotReached() throws Exception {
        producePlain(3);
        long end = awaitEndOffset(3);
        commit(2);
        assertThat(progress.reached(Map.of(partition, end))).isFalse();
        commit(3);
        assertThat(progress.reached(Map.of(partition, end))).isTrue();
    }

    @Test
    void aCommittedTransactionBeyondTheCommittedOffsetIsNotReached() throws Exception {
        produceInTransaction(2, true);
        produceInTransaction(2, true);
        // records 0,1, marker 2, records 3,4, marker 5; the group is past the first transaction only
        long end = awaitEndOffset(6);
        commit(3);
        assertThat(progress.reached(Map.of(partition, end))).isFalse();
        commit(5);
        assertThat(progress.reached(Map.of(partition, end))).isTrue();
    }

    @Test
    void noCommittedOffsetWithRecordsPresentIsNotReached() throws Exception {
        producePlain(2);
        long end = awaitEndOffset(2);
        assertThat(progress.committed()).isEmpty();
        assertThat(progress.reached(Map.of(partition, end))).isFalse();
        commit(2);
        assertThat(progress.reached(Map.of(partition, end))).isTrue();
    }

    @Test
    void noCommittedOffsetOnAnEmptyPartitionIsReached() throws Exception {
        assertThat(progress.reached(Map.of(partition, awaitEndOffset(0)))).isTrue();
    }

    @Test
    void onlyAbortedRecordsAfterTheCommittedOffsetIsReached() throws Exception {
        producePlain(2);
        commit(2);
        produceInTransaction(3, false);
        // records 0,1, aborted records 2..4, abort marker 5
        long end = awaitEndOffset(6);
        assertThat(progress.reached(Map.of(partition, end))).isTrue();
    }

    @Test
    void recordsDeletedBelowTheCommittedOffsetDoNotHideTheRestOfTheWork() throws Exception {
        // the group committed 1, then retention (here deleteRecords) moved the log start to 3: the group will
        // restart from the log start and has records 3..5 to process
        producePlain(6);
        long end = awaitEndOffset(6);
        commit(1);
        kafka.admin().deleteRecords(Map.of(partition, RecordsToDelete.beforeOffset(3))).all().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(progress.reached(Map.of(partition, end))).isFalse();
        commit(6);
        assertThat(progress.reached(Map.of(partition, end))).isTrue();
    }

    @Test
    void endOffsetsCoverATransactionCommittedBehindAnOpenOne() throws Exception {
        // stream threads' transactions interleave on one partition: B commits records behind A's still open one.
        // A target taken as the last stable offset (0, where A starts) would leave B's records out of the work.
        Map<String, Object> config = kafka.clientConfig();
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "progress-open-" + UUID.randomUUID());
        try (KafkaProducer<byte[], byte[]> open = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            open.initTransactions();
            open.beginTransaction();
            open.send(new ProducerRecord<>(partition.topic(), partition.partition(), bytes("a"), bytes("open-0")))
                    .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            produceInTransaction(2, true);
            // A's record at 0, B's records at 1 and 2, B's commit marker at 3
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (endOffset() < 4 && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(endOffset()).isEqualTo(4);
            commit(0);
            assertThat(progress.reached(Map.of(partition, 4L))).isFalse();
            open.abortTransaction();
        }
        awaitEndOffset(5); // A's abort marker at 4
        commit(3);
        assertThat(progress.reached(Map.of(partition, 4L))).isTrue();
    }

    /** The end offset (high watermark) of the partition. */
    private long endOffset() {
        return progress.endOffsets(List.of(partition)).get(partition);
    }

    /**
     * Waits (safety-capped) for the end offset to reach {@code expected}: commitTransaction/abortTransaction return
     * before the coordinator has written the markers, and the end offset only moves past them once they are in.
     */
    private long awaitEndOffset(long expected) throws InterruptedException {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (endOffset() < expected && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(endOffset()).isEqualTo(expected);
        return expected;
    }

    private void commit(long offset) throws Exception {
        kafka.admin().alterConsumerGroupOffsets(group, Map.of(partition, new OffsetAndMetadata(offset)))
                .all().get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void producePlain(int count) {
        List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            records.add(Map.entry(bytes("k" + i), bytes("plain-" + i)));
        }
        kafka.produceBytes(partition.topic(), records);
    }

    /** {@code count} records in one transaction, committed or aborted. */
    private void produceInTransaction(int count, boolean commit) throws Exception {
        Map<String, Object> config = kafka.clientConfig();
        config.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "progress-tx-" + UUID.randomUUID());
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            producer.initTransactions();
            producer.beginTransaction();
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(partition.topic(), partition.partition(), bytes("t" + i), bytes("tx-" + i)))
                        .get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            }
            if (commit) {
                producer.commitTransaction();
            } else {
                producer.abortTransaction();
            }
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
