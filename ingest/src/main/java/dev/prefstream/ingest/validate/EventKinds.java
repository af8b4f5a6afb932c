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
        JudgementKind kind = event == null ? null : kindOf(event);
        return kind == null ? "unknown" : kind.name().toLowerCase(java.util.Locale.ROOT);
    }
}
