package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Response;

import java.util.List;

/**
 * Stanford Human Preferences (stanfordnlp/SHP, SHP-2): {@code {"post_id", "domain", "upvote_ratio", "history",
 * "c_root_id_A", "c_root_id_B", "created_at_utc", "score_A", "score_B", "human_ref_A", "human_ref_B", "labels",
 * "score_ratio"}}. The post ({@code history}) is the prompt, the two top-level comments are responses "A" and "B",
 * {@code labels} 1 means A was preferred (0: B). The preference is Reddit's upvotes, so the source is HUMAN.
 * <p>
 * Strength: SHP pairs differ in how clear the preference is (a comment with twice the other's score vs fifty times).
 * The comparison's strength, which ingest takes as the pair's margin, is {@code 1 - other score / preferred score}
 * (ratio 2: 0.5, ratio 10: 0.9), from {@code score_A}/{@code score_B} or else {@code score_ratio}; without either (or
 * with a non-positive preferred score) it is left out and ingest uses 1. Scores that favour the unpreferred comment,
 * or tie, contradict the label and the line is rejected ({@value Comparisons#SCORE_CONTRADICTS_LABEL}). The post id,
 * domain, comment ids, scores and upvote ratio are kept in metadata ({@code shp.*}).
 */
final class ShpLineParser implements LineParser {

    static final String ANNOTATOR = "shp";

    @Override
    public PreferenceEvent parse(JsonNode line, PreferenceEvent.Builder base) {
        String history = JsonFields.text(line, "history");
        Response a = new Response("A", JsonFields.text(line, "human_ref_A"), null);
        Response b = new Response("B", JsonFields.text(line, "human_ref_B"), null);
        boolean aPreferred = JsonFields.binary(JsonFields.required(line, "labels"), "labels");
        Double strength = strength(line, aPreferred);
        JsonFields.copyToMetadata(line, base.getMetadata(), "shp", "post_id", "domain", "upvote_ratio", "c_root_id_A", "c_root_id_B",
                "score_A", "score_B", "score_ratio", "created_at_utc");
        return Comparisons.between(base, FeedbackSource.HUMAN, ANNOTATOR, List.of(new ChatMessage("user", history)), a, b,
                aPreferred ? ComparisonOutcome.A : ComparisonOutcome.B, strength);
    }

    private static Double strength(JsonNode line, boolean aPreferred) {
        Double scoreA = JsonFields.number(line.get("score_A"));
        Double scoreB = JsonFields.number(line.get("score_B"));
        if (scoreA != null && scoreB != null) {
            double preferred = aPreferred ? scoreA : scoreB;
            double other = aPreferred ? scoreB : scoreA;
            if (preferred <= other) {
                throw new LineRejectedException(Comparisons.SCORE_CONTRADICTS_LABEL, "labels prefers " + (aPreferred ? "A" : "B")
                        + " but score_A is " + scoreA + " and score_B " + scoreB);
            }
            if (preferred <= 0) {
                return null;
            }
            // a negative other score is still "far better": clamp to 1
            return Math.min(1.0, 1.0 - other / preferred);
        }
        Double ratio = JsonFields.number(line.get("score_ratio"));
        if (ratio == null) {
            return null;
        }
        if (ratio <= 1) {
            throw new LineRejectedException(Comparisons.SCORE_CONTRADICTS_LABEL, "score_ratio " + ratio + " is not above 1");
        }
        return 1.0 - 1.0 / ratio;
    }
}
