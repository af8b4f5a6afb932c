package dev.prefstream.ingest.validate;

import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.Feedback;
import dev.prefstream.schemas.avro.JudgementKind;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Ranking;
import dev.prefstream.schemas.avro.Rating;

/** The kind of judgement an event carries. */
public final class EventKinds {

    private EventKinds() {
    }

    /** The kind, or null when the judgement is missing or of no known kind. */
    public static JudgementKind kindOf(PreferenceEvent event) {
        Object judgement = event.getJudgement();
        if (judgement instanceof Comparison) {
            return JudgementKind.COMPARISON;
        } else if (judgement instanceof Ranking) {
            return JudgementKind.RANKING;
        } else if (judgement instanceof Rating) {
            return JudgementKind.RATING;
        } else if (judgement instanceof Feedback) {
            return JudgementKind.FEEDBACK;
        }
        return null;
    }

    /** Lowercase kind name for metric tags; {@code unknown} for none. */
    public static String tagOf(PreferenceEvent event) {
        return tagOf(event == null ? null : kindOf(event));
    }

    /** Lowercase kind name for metric tags; {@code unknown} for null. */
    public static String tagOf(JudgementKind kind) {
        return kind == null ? "unknown" : TAGS[kind.ordinal()];
    }

    /** The tags by ordinal, made once: tags are asked for several times per event. */
    private static final String[] TAGS = java.util.Arrays.stream(JudgementKind.values())
            .map(k -> k.name().toLowerCase(java.util.Locale.ROOT))
            .toArray(String[]::new);
}
