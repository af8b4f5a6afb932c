package dev.prefstream.ingest.importer;

import dev.prefstream.schemas.avro.FeedbackSource;

import java.util.Locale;
import java.util.Objects;

/**
 * What an import may change about the events besides the format; both change the event ids (a re-import with other
 * options is other events, one with the same options the same events).
 *
 * @param source     overrides every event's source; null keeps each format's natural one (HUMAN for hh-rlhf, shp,
 *                   pku-saferlhf, chatbot-arena and trl; AI_JUDGE for ultrafeedback and nectar, whose labels are GPT-4's)
 * @param preference which PKU-SafeRLHF label becomes the comparison (the other is kept in metadata)
 */
public record ImportOptions(FeedbackSource source, SafeRlhfLabel preference) {

    /** Each format's natural source, PKU-SafeRLHF's "better" label. */
    public static final ImportOptions DEFAULTS = new ImportOptions(null, SafeRlhfLabel.BETTER);

    public ImportOptions {
        Objects.requireNonNull(preference, "preference");
    }

    /** A source by its command-line name ({@code human} or {@code ai-judge}). */
    public static FeedbackSource parseSource(String name) {
        return switch (name.trim().toLowerCase(Locale.ROOT).replace('_', '-')) {
            case "human" -> FeedbackSource.HUMAN;
            case "ai-judge", "ai" -> FeedbackSource.AI_JUDGE;
            default -> throw new IllegalArgumentException("unknown source '" + name + "'; one of human, ai-judge");
        };
    }

    /** The command-line name of {@code source}. */
    static String cliName(FeedbackSource source) {
        return source == FeedbackSource.AI_JUDGE ? "ai-judge" : "human";
    }
}
