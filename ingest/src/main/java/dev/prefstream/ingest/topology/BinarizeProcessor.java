package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.binarize.Binarization;
import dev.prefstream.ingest.binarize.BinarizedPair;
import dev.prefstream.ingest.binarize.CandidatePair;
import dev.prefstream.ingest.binarize.EventBinarizer;
import dev.prefstream.ingest.binarize.PairFactory;
import dev.prefstream.ingest.binarize.PairWeights;
import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.feedback.FeedbackPairing;
import dev.prefstream.ingest.feedback.FeedbackVote;
import dev.prefstream.ingest.metrics.IngestMetrics;
import dev.prefstream.ingest.validate.EventKinds;
import dev.prefstream.ingest.validate.RejectReason;
import dev.prefstream.ingest.validate.RejectedRecordException;
import dev.prefstream.ingest.validate.Rejection;
import dev.prefstream.schemas.avro.Feedback;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.JudgementKind;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Response;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Stage 2, on the partitions of the prompt_id repartition: turns each event into pairs keyed by pair_id.
 * Comparisons, rankings and ratings are binarized on their own; thumbs votes go through the per-prompt vote
 * store ({@link FeedbackPairing}). Degenerate pairs (chosen = rejected after normalization) are not emitted: once
 * the event's other pairs are out, the event is dead-lettered with reason {@code degenerate_pair}.
 */
final class BinarizeProcessor implements Processor<String, EncodedEvent, String, BinarizedPair> {

    private final EventBinarizer binarizer;
    private final PairWeights weights;
    private final FeedbackPairing feedbackPairing;
    private final int maxVotesPerPrompt;
    private final String voteStoreName;
    private ProcessorContext<String, BinarizedPair> context;
    private WindowStore<String, FeedbackVote> votes;
    private IngestMetrics metrics;

    BinarizeProcessor(IngestConfig config, String voteStoreName) {
        this.binarizer = new EventBinarizer(config);
        this.weights = new PairWeights(config);
        this.feedbackPairing = new FeedbackPairing(config.feedbackWindow());
        this.maxVotesPerPrompt = config.maxVotesPerPrompt();
        this.voteStoreName = voteStoreName;
    }

    @Override
    public void init(ProcessorContext<String, BinarizedPair> context) {
        this.context = context;
        this.votes = context.getStateStore(voteStoreName);
        this.metrics = new IngestMetrics(context.metrics());
    }

    @Override
    public void process(Record<String, EncodedEvent> record) {
        metrics.eventBinarized();
        try {
            binarize(record);
        } catch (RuntimeException e) {
            if (!(e instanceof RejectedRecordException) && DeadLetterProcessingHandler.isRecordFault(e)) {
                metrics.processingError(EventKinds.tagOf(record.value() == null ? null : record.value().event()));
            }
            throw e;
        }
    }

    private void binarize(Record<String, EncodedEvent> record) {
        PreferenceEvent event = record.value().event();
        if (EventKinds.kindOf(event) == JudgementKind.FEEDBACK) {
            feedback(record, event);
            return;
        }
        Binarization result = binarizer.binarize(event);
        if (result.pairs().isEmpty()) {
            metrics.dropped(EventKinds.tagOf(event), result.noPairReason().code());
            return;
        }
        JudgementKind kind = EventKinds.kindOf(event);
        double weight = weights.of(event);
        List<String> degenerate = new ArrayList<>();
        for (CandidatePair candidate : result.pairs()) {
            BinarizedPair pair = PairFactory.createUnlessDegenerate(record.key(), event.getPrompt(), candidate.chosen(), candidate.rejected(),
                    candidate.scoreMargin(), weight, event.getSource(), kind, List.of(event.getEventId()),
                    event.getTenant(), event.getOccurredAt());
            if (pair == null) {
                degenerate.add(candidate.chosen().getResponseId() + ">" + candidate.rejected().getResponseId());
            } else {
                emit(record, pair);
            }
        }
        rejectDegenerate(EventKinds.tagOf(event), event, degenerate);
    }

    private void feedback(Record<String, EncodedEvent> record, PreferenceEvent event) {
        Feedback feedback = (Feedback) event.getJudgement();
        Response voted = null;
        for (Response r : event.getResponses()) {
            if (r.getResponseId().equals(feedback.getResponseId())) {
                voted = r;
            }
        }
        FeedbackVote vote = new FeedbackVote(event.getEventId(), event.getAnnotatorId(), voted.getResponseId(), voted.getText(),
                voted.getModelVersion(), feedback.getThumb(), event.getOccurredAt().toEpochMilli(), event.getSource(),
                weights.of(event), event.getTenant());
        List<FeedbackVote> stored = new ArrayList<>();
        try (WindowStoreIterator<FeedbackVote> it = votes.fetch(record.key(), 0L, Long.MAX_VALUE)) {
            while (it.hasNext()) {
                KeyValue<Long, FeedbackVote> kv = it.next();
                stored.add(kv.value);
                if (stored.size() >= maxVotesPerPrompt) {
                    break; // a hot prompt: reading further would make each vote cost O(all votes) (see below)
                }
            }
        }
        if (stored.size() >= maxVotesPerPrompt) {
            // bounded work per vote: the cap's worth of stored votes is read and the vote dropped, counted; the
            // votes already stored keep their pairs, and votes on the prompt count again once older ones leave the window
            metrics.dropped("feedback", "prompt_vote_cap");
            return;
        }
        FeedbackPairing.Decision decision = feedbackPairing.decide(vote, stored);
        switch (decision.outcome()) {
            case REPLAYED -> metrics.dropped("feedback", "replayed_vote");
            case SUPERSEDED -> metrics.dropped("feedback", "superseded_vote");
            case STORED -> {
                votes.put(record.key(), vote, record.timestamp());
                metrics.voteStored(!decision.combinations().isEmpty());
                List<String> degenerate = new ArrayList<>();
                for (FeedbackPairing.Combination c : decision.combinations()) {
                    Response chosen = c.up().response();
                    Response rejected = c.down().response();
                    FeedbackSource source = c.up().source() == FeedbackSource.HUMAN && c.down().source() == FeedbackSource.HUMAN
                            ? FeedbackSource.HUMAN : FeedbackSource.AI_JUDGE;
                    BinarizedPair pair = PairFactory.createUnlessDegenerate(record.key(), event.getPrompt(), chosen, rejected, 1.0,
                            Math.min(c.up().weight(), c.down().weight()), source, JudgementKind.FEEDBACK,
                            List.of(c.up().eventId(), c.down().eventId()), event.getTenant(),
                            Instant.ofEpochMilli(Math.max(c.up().occurredAtMillis(), c.down().occurredAtMillis())));
                    if (pair == null) {
                        degenerate.add(chosen.getResponseId() + ">" + rejected.getResponseId());
                    } else {
                        emit(record, pair);
                    }
                }
                rejectDegenerate("feedback", event, degenerate);
            }
        }
    }

    private void emit(Record<String, EncodedEvent> record, BinarizedPair pair) {
        context.forward(new Record<>(pair.pair().getPairId(), pair, record.timestamp(), record.headers()));
    }

    private void rejectDegenerate(String kind, PreferenceEvent event, List<String> degenerate) {
        if (!degenerate.isEmpty()) {
            throw metrics.reject(kind, new Rejection(RejectReason.DEGENERATE_PAIR,
                    "event " + event.getEventId() + ": chosen and rejected texts are equal after normalization for " + degenerate));
        }
    }
}
