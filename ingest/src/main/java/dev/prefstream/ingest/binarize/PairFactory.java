package dev.prefstream.ingest.binarize;

import dev.prefstream.ingest.canonical.ContentHash;
import dev.prefstream.ingest.canonical.TextNormalizer;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.JudgementKind;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.avro.Response;

import java.time.Instant;
import java.util.List;

/** Builds PreferencePairs (with their pair_id) and recognises degenerate ones. */
public final class PairFactory {

    private PairFactory() {
    }

    /** True when chosen and rejected are the same text after normalization: such a pair teaches nothing. */
    public static boolean isDegenerate(Response chosen, Response rejected) {
        return TextNormalizer.normalize(chosen.getText()).equals(TextNormalizer.normalize(rejected.getText()));
    }

    /** A pair with the normalized texts of its id, or null when it is degenerate (chosen equals rejected after normalization). */
    public static BinarizedPair createUnlessDegenerate(String promptId, List<ChatMessage> prompt, Response chosen, Response rejected,
                                                        double scoreMargin, double weight, FeedbackSource source, JudgementKind kind,
                                                        List<String> eventIds, String tenant, Instant createdAt) {
        String normalizedChosen = TextNormalizer.normalize(chosen.getText());
        String normalizedRejected = TextNormalizer.normalize(rejected.getText());
        if (normalizedChosen.equals(normalizedRejected)) {
            return null;
        }
        PreferencePair pair = build(ContentHash.pairIdOfNormalized(promptId, normalizedChosen, normalizedRejected), promptId, prompt, chosen,
                rejected, scoreMargin, weight, source, kind, eventIds, tenant, createdAt);
        return new BinarizedPair(pair, normalizedChosen, normalizedRejected);
    }

    public static PreferencePair create(String promptId, List<ChatMessage> prompt, Response chosen, Response rejected,
                                        double scoreMargin, double weight, FeedbackSource source, JudgementKind kind,
                                        List<String> eventIds, String tenant, Instant createdAt) {
        return build(ContentHash.pairId(promptId, chosen.getText(), rejected.getText()), promptId, prompt, chosen, rejected,
                scoreMargin, weight, source, kind, eventIds, tenant, createdAt);
    }

    private static PreferencePair build(String pairId, String promptId, List<ChatMessage> prompt, Response chosen, Response rejected,
                                        double scoreMargin, double weight, FeedbackSource source, JudgementKind kind,
                                        List<String> eventIds, String tenant, Instant createdAt) {
        return PreferencePair.newBuilder()
                .setPairId(pairId)
                .setPromptId(promptId)
                .setPrompt(prompt)
                .setChosen(chosen.getText())
                .setRejected(rejected.getText())
                .setChosenModelVersion(chosen.getModelVersion())
                .setRejectedModelVersion(rejected.getModelVersion())
                .setScoreMargin(scoreMargin)
                .setWeight(weight)
                .setSource(source)
                .setKind(kind)
                .setEventIds(List.copyOf(eventIds))
                .setTenant(tenant)
                .setCreatedAt(createdAt)
                .build();
    }
}
