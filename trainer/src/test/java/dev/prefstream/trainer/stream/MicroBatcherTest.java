package dev.prefstream.trainer.stream;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MicroBatcherTest {

    private static final TopicPartition P0 = new TopicPartition("preference-pairs", 0);
    private static final TopicPartition P1 = new TopicPartition("preference-pairs", 1);
    private static final List<TopicPartition> BOTH = List.of(P0, P1);

    @Test
    void closesOnSizeInTimestampMergeOrder() {
        MicroBatcher b = new MicroBatcher(3, Duration.ofSeconds(10));
        b.add(TestPairs.record(0, 0, 100), 0);
        b.add(TestPairs.record(0, 1, 300), 0);
        b.add(TestPairs.record(1, 0, 200), 0);
        b.add(TestPairs.record(1, 1, 400), 0);
        List<PairRecord> batch = b.nextBatch(0, BOTH, tp -> false).orElseThrow();
        assertThat(batch).extracting(PairRecord::timestamp).containsExactly(100L, 200L, 300L);
        assertThat(b.size()).isEqualTo(1);
        assertThat(b.firstBufferedOffset(P1)).hasValue(1);
        assertThat(b.firstBufferedOffset(P0)).isEmpty();
    }

    @Test
    void waitsForAPartitionThatMayStillDeliverEarlierPairsUnlessItIsCaughtUp() {
        MicroBatcher b = new MicroBatcher(2, Duration.ofSeconds(10));
        b.add(TestPairs.record(0, 0, 100), 0);
        b.add(TestPairs.record(0, 1, 200), 0);
        // partition 1 has delivered nothing and is not known to be at its end: a full batch must not close yet
        assertThat(b.nextBatch(1_000, BOTH, tp -> false)).isEmpty();
        assertThat(b.nextBatch(1_000, BOTH, P1::equals)).get().asList().hasSize(2);
    }

    @Test
    void closesASmallerBatchAfterTheMaximumWaitSoATrickleTrains() {
        MicroBatcher b = new MicroBatcher(8, Duration.ofSeconds(5));
        b.add(TestPairs.record(1, 7, 100), 1_000);
        assertThat(b.nextBatch(5_999, BOTH, tp -> true)).isEmpty();
        List<PairRecord> batch = b.nextBatch(6_000, BOTH, tp -> true).orElseThrow();
        assertThat(batch).extracting(PairRecord::offset).containsExactly(7L);
        assertThat(b.size()).isZero();
        assertThat(b.nextBatch(100_000, BOTH, tp -> true)).isEmpty();
    }

    @Test
    void batchesAreTheSameWhateverOrderFetchesArriveIn() {
        List<PairRecord> log = new ArrayList<>();
        Random rnd = new Random(7);
        long[] ts = {0, 0};
        for (int i = 0; i < 40; i++) {
            int p = i % 2;
            ts[p] += 1 + rnd.nextInt(50);
            log.add(TestPairs.record(p, i / 2, ts[p]));
        }
        List<List<Long>> reference = drain(log, 0);
        for (int seed = 1; seed <= 5; seed++) {
            assertThat(drain(log, seed)).as("arrival order seed %d", seed).isEqualTo(reference);
        }
        assertThat(reference).hasSize(8);
    }

    /** Feeds each partition's records in chunks interleaved randomly, as fetches would, and returns the batches' timestamps. */
    private static List<List<Long>> drain(List<PairRecord> log, int seed) {
        Random rnd = new Random(seed);
        List<List<PairRecord>> chunks = new ArrayList<>();
        for (int p = 0; p < 2; p++) {
            int part = p;
            List<PairRecord> mine = log.stream().filter(r -> r.partition() == part).toList();
            for (int i = 0; i < mine.size(); ) {
                int n = 1 + rnd.nextInt(4);
                chunks.add(mine.subList(i, Math.min(mine.size(), i + n)));
                i += n;
            }
        }
        // interleave chunks keeping each partition's chunks in order
        List<List<PairRecord>> order = new ArrayList<>();
        List<List<PairRecord>> p0 = new ArrayList<>(chunks.stream().filter(c -> c.get(0).partition() == 0).toList());
        List<List<PairRecord>> p1 = new ArrayList<>(chunks.stream().filter(c -> c.get(0).partition() == 1).toList());
        while (!p0.isEmpty() || !p1.isEmpty()) {
            boolean take0 = p1.isEmpty() || (!p0.isEmpty() && rnd.nextBoolean());
            order.add(take0 ? p0.remove(0) : p1.remove(0));
        }
        MicroBatcher b = new MicroBatcher(5, Duration.ofHours(1));
        List<List<Long>> batches = new ArrayList<>();
        int[] delivered = {0, 0};
        int[] total = {(int) log.stream().filter(r -> r.partition() == 0).count(), (int) log.stream().filter(r -> r.partition() == 1).count()};
        for (List<PairRecord> chunk : order) {
            chunk.forEach(r -> b.add(r, 0));
            delivered[chunk.get(0).partition()] += chunk.size();
            var opt = b.nextBatch(0, BOTH, tp -> delivered[tp.partition()] == total[tp.partition()]);
            while (opt.isPresent()) {
                batches.add(opt.get().stream().map(PairRecord::timestamp).toList());
                opt = b.nextBatch(0, BOTH, tp -> delivered[tp.partition()] == total[tp.partition()]);
            }
        }
        return batches;
    }

    @Test
    void refusesOutOfOrderOffsetsAndDropsUnassignedPartitions() {
        MicroBatcher b = new MicroBatcher(4, Duration.ZERO);
        b.add(TestPairs.record(0, 5, 1), 0);
        assertThatThrownBy(() -> b.add(TestPairs.record(0, 5, 2), 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("offset order");
        b.add(TestPairs.record(1, 1, 1), 0);
        b.retainOnly(Set.of(P1));
        assertThat(b.size()).isEqualTo(1);
        assertThat(b.nextBatch(0, List.of(P1), tp -> true).orElseThrow()).extracting(PairRecord::partition).containsExactly(1);
    }
}
