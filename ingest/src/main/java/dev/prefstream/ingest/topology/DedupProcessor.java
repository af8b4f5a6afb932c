package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.binarize.BinarizedPair;
import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.dedup.PairObservations;
import dev.prefstream.ingest.metrics.IngestMetrics;
import dev.prefstream.ingest.validate.EventKinds;
import dev.prefstream.schemas.avro.PreferencePair;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.FixedKeyProcessor;
import org.apache.kafka.streams.processor.api.FixedKeyProcessorContext;
import org.apache.kafka.streams.processor.api.FixedKeyRecord;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.util.List;

/**
 * Stage 3: drops pairs seen before and accounts for contradictions. The store maps pair_id -> how many distinct
 * observations of that pair (that direction) were seen ({@link PairObservations}: a replayed event is not a new
 * observation), at the event time of the first one, and forgets it after the retention
 * ({@code ingest.dedup.retention}, default 7 days of event time).
 *
 * <p><b>Conflict rule.</b> The pairs topic is an append-only log, so an emitted pair cannot be taken back. When a
 * pair arrives whose reverse (same prompt, same two responses, opposite label) was observed {@code n} times
 * (distinct events) within the retention, the contradiction is counted ({@code conflicts} metric), and the pair is still emitted,
 * once, with {@code conflicts = n} and its weight multiplied by {@code 1/(1+n)}: the share of the observations
 * so far that agree with it. Later repeats of either direction are duplicates (dropped, but counted into that
 * direction's observations, so a later contradiction is weighted against all of them). A trainer therefore sees
 * both directions at most once each, the later one down-weighted by how much it is outvoted; a 1:1 disagreement
 * gives weights 1 and 1/2, a 3:1 majority followed by a dissent gives 1 and 1/4.
 */
final class DedupProcessor implements FixedKeyProcessor<String, BinarizedPair, PreferencePair> {

    private final String storeName;
    private final long retentionMillis;
    private FixedKeyProcessorContext<String, PreferencePair> context;
    private WindowStore<String, PairObservations> seen;
    private IngestMetrics metrics;

    DedupProcessor(IngestConfig config, String storeName) {
        this.storeName = storeName;
        this.retentionMillis = config.dedupRetention().toMillis();
    }

    @Override
    public void init(FixedKeyProcessorContext<String, PreferencePair> context) {
        this.context = context;
        this.seen = context.getStateStore(storeName);
        this.metrics = new IngestMetrics(context.metrics());
    }

    private record Observed(long windowStart, PairObservations observations) {
    }

    @Override
    public void process(FixedKeyRecord<String, BinarizedPair> record) {
        String kind = EventKinds.tagOf(record.value().pair().getKind());
        try {
            dedup(record, kind);
        } catch (RuntimeException e) {
            if (DeadLetterProcessingHandler.isRecordFault(e)) {
                metrics.processingError(kind);
            }
            throw e;
        }
    }

    private void dedup(FixedKeyRecord<String, BinarizedPair> record, String kind) {
        PreferencePair pair = record.value().pair();
        long from = record.timestamp() - retentionMillis;
        List<String> eventIds = pair.getEventIds();
        String observation = eventIds.size() == 1 ? eventIds.get(0) : String.join(",", eventIds);
        Observed same = find(pair.getPairId(), from);
        if (same != null) {
            PairObservations updated = same.observations().plus(observation);
            if (updated != same.observations()) {
                seen.put(pair.getPairId(), updated, same.windowStart());
            }
            metrics.duplicate();
            metrics.dropped(kind, "duplicate");
            return;
        }
        Observed reverse = find(record.value().reversePairId(), from);
        seen.put(pair.getPairId(), PairObservations.first(observation), record.timestamp());
        if (reverse != null) {
            int against = reverse.observations().observations();
            metrics.conflict();
            pair = PreferencePair.newBuilder(pair)
                    .setConflicts(against)
                    .setWeight(pair.getWeight() / (1 + against))
                    .build();
        }
        metrics.pairOut(kind);
        context.forward(record.withValue(pair));
    }

    private Observed find(String pairId, long from) {
        try (WindowStoreIterator<PairObservations> it = seen.fetch(pairId, Math.max(0, from), Long.MAX_VALUE)) {
            if (it.hasNext()) {
                KeyValue<Long, PairObservations> kv = it.next();
                return new Observed(kv.key, kv.value);
            }
        }
        return null;
    }
}
