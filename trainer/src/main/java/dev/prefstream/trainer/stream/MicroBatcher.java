package dev.prefstream.trainer.stream;

import org.apache.kafka.common.TopicPartition;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Predicate;

/**
 * Groups consumed pairs into training batches. A batch closes when it is full (pairs per step x accumulation) or
 * when its oldest pair has waited {@code maxWait}, so a trickle of feedback still trains.
 *
 * <p>Full batches are formed deterministically from the log, not from the order in which fetches happened to
 * arrive: pairs are merged across partitions by (timestamp, partition, offset), and a pair is only taken once
 * every other assigned partition either has a buffered pair at or after it or is caught up to its end. So a
 * replay over the same log from the same offsets forms the same batches and, on CPU, reproduces the same weights.
 * Only batches closed by the wait timer depend on timing (a trickle); that is the price of liveness.
 *
 * <p>Within a partition pairs leave in offset order, so "first buffered offset" per partition is exactly the
 * exactly-once resume point for pairs not yet trained. Not thread-safe (the trainer loop owns it).
 */
public final class MicroBatcher {

    private record Buffered(PairRecord record, long arrivedAtMillis) {
    }

    private final int batchSize;
    private final long maxWaitMillis;
    private final Map<TopicPartition, ArrayDeque<Buffered>> queues = new LinkedHashMap<>();
    private int buffered;

    /**
     * @param batchSize pairs per optimizer step (pairs per step x gradient accumulation), >= 1
     * @param maxWait   longest time the oldest buffered pair waits before a smaller batch is closed
     */
    public MicroBatcher(int batchSize, Duration maxWait) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        if (maxWait.isNegative()) {
            throw new IllegalArgumentException("maxWait must not be negative, got " + maxWait);
        }
        this.batchSize = batchSize;
        this.maxWaitMillis = maxWait.toMillis();
    }

    /** Buffers a pair; pairs of one partition must be added in offset order. */
    public void add(PairRecord r, long nowMillis) {
        ArrayDeque<Buffered> q = queues.computeIfAbsent(r.topicPartition(), tp -> new ArrayDeque<>());
        Buffered last = q.peekLast();
        if (last != null && last.record().offset() >= r.offset()) {
            throw new IllegalArgumentException("pairs of " + r.topicPartition() + " must arrive in offset order: "
                    + r.offset() + " after " + last.record().offset());
        }
        q.addLast(new Buffered(r, nowMillis));
        buffered++;
    }

    /** Pairs buffered and not yet handed out. */
    public int size() {
        return buffered;
    }

    /** Offset of the oldest buffered (untrained) pair of a partition, empty when none is buffered. */
    public OptionalLong firstBufferedOffset(TopicPartition tp) {
        ArrayDeque<Buffered> q = queues.get(tp);
        return q == null || q.isEmpty() ? OptionalLong.empty() : OptionalLong.of(q.peekFirst().record().offset());
    }

    /** Drops everything buffered (on losing leadership or re-seeking). */
    public void clear() {
        queues.clear();
        buffered = 0;
    }

    /** Drops the buffered pairs of partitions no longer assigned. */
    public void retainOnly(Collection<TopicPartition> assigned) {
        for (Iterator<Map.Entry<TopicPartition, ArrayDeque<Buffered>>> it = queues.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<TopicPartition, ArrayDeque<Buffered>> e = it.next();
            if (!assigned.contains(e.getKey())) {
                buffered -= e.getValue().size();
                it.remove();
            }
        }
    }

    /**
     * The next batch, if one is ready.
     *
     * @param nowMillis  current time, for the wait rule
     * @param assigned   the partitions being consumed (a partition with nothing buffered blocks the merge unless caught up)
     * @param caughtUp   true for a partition whose buffered pairs reach its current end (no more data known)
     */
    public Optional<List<PairRecord>> nextBatch(long nowMillis, Collection<TopicPartition> assigned, Predicate<TopicPartition> caughtUp) {
        if (buffered == 0) {
            return Optional.empty();
        }
        Map<TopicPartition, Integer> taken = new HashMap<>();
        List<PairRecord> batch = new ArrayList<>();
        boolean blocked = false;
        while (batch.size() < batchSize) {
            TopicPartition best = minHead(taken);
            if (best == null) {
                break;
            }
            PairRecord candidate = head(best, taken);
            if (!blocked && !safeToTake(best, candidate, taken, assigned, caughtUp)) {
                blocked = true;
            }
            if (blocked) {
                break;
            }
            batch.add(candidate);
            taken.merge(best, 1, Integer::sum);
        }
        if (batch.size() == batchSize) {
            removeTaken(taken);
            return Optional.of(batch);
        }
        if (nowMillis - oldestArrival() < maxWaitMillis) {
            return Optional.empty();
        }
        // the wait expired: close a smaller batch in merge order, ignoring partitions that have not delivered yet
        taken.clear();
        batch.clear();
        while (batch.size() < batchSize) {
            TopicPartition best = minHead(taken);
            if (best == null) {
                break;
            }
            batch.add(head(best, taken));
            taken.merge(best, 1, Integer::sum);
        }
        removeTaken(taken);
        return Optional.of(batch);
    }

    private boolean safeToTake(TopicPartition from, PairRecord candidate, Map<TopicPartition, Integer> taken,
                               Collection<TopicPartition> assigned, Predicate<TopicPartition> caughtUp) {
        for (TopicPartition other : assigned) {
            if (other.equals(from)) {
                continue;
            }
            // a buffered head in another partition is >= candidate (candidate is the minimum), so it cannot be
            // overtaken; an empty partition could still deliver an earlier pair unless it is caught up
            if (head(other, taken) == null && !caughtUp.test(other)) {
                return false;
            }
        }
        return true;
    }

    private TopicPartition minHead(Map<TopicPartition, Integer> taken) {
        TopicPartition best = null;
        PairRecord bestRecord = null;
        for (TopicPartition tp : queues.keySet()) {
            PairRecord h = head(tp, taken);
            if (h != null && (bestRecord == null || PairRecord.MERGE_ORDER.compare(h, bestRecord) < 0)) {
                best = tp;
                bestRecord = h;
            }
        }
        return best;
    }

    private PairRecord head(TopicPartition tp, Map<TopicPartition, Integer> taken) {
        ArrayDeque<Buffered> q = queues.get(tp);
        if (q == null) {
            return null;
        }
        int skip = taken.getOrDefault(tp, 0);
        if (skip >= q.size()) {
            return null;
        }
        Iterator<Buffered> it = q.iterator();
        for (int i = 0; i < skip; i++) {
            it.next();
        }
        return it.next().record();
    }

    private long oldestArrival() {
        long oldest = Long.MAX_VALUE;
        for (ArrayDeque<Buffered> q : queues.values()) {
            if (!q.isEmpty()) {
                oldest = Math.min(oldest, q.peekFirst().arrivedAtMillis());
            }
        }
        return oldest;
    }

    private void removeTaken(Map<TopicPartition, Integer> taken) {
        taken.forEach((tp, n) -> {
            ArrayDeque<Buffered> q = queues.get(tp);
            for (int i = 0; i < n; i++) {
                q.removeFirst();
            }
            buffered -= n;
        });
    }
}
