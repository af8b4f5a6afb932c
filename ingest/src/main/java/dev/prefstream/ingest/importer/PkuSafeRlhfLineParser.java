package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Response;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * PKU-Alignment/PKU-SafeRLHF: {@code {"prompt", "response_0", "response_1", "better_response_id", "safer_response_id",
 * "is_response_0_safe", "is_response_1_safe", "response_0_severity_level", "response_0_harm_category": {...},
 * "prompt_source", "response_0_source", ...}}. A comparison of response_0 (A) and response_1 (B) by one of the two
 * human labels ({@link SafeRlhfLabel}, default the more helpful answer); an id that is not 0 or 1 is rejected
 * ({@value JsonFields#WRONG_TYPE}). The other label, the safety flags, severity levels, harm categories (the true
 * ones, comma-separated, or "none") and sources stay in metadata ({@code pku.*}) so the safety signal is not lost;
 * the responses' sources (the generating models) are their model versions. Reading a file with the safer label
 * gives other event ids than with the better one: they are other judgements of the same pair.
 */
final class PkuSafeRlhfLineParser implements LineParser {

    static final String ANNOTATOR = "pku-saferlhf";

    private final SafeRlhfLabel label;

    PkuSafeRlhfLineParser(SafeRlhfLabel label) {
        this.label = label;
    }

    @Override
    public PreferenceEvent parse(JsonNode line, PreferenceEvent.Builder base) {
        List<ChatMessage> prompt = List.of(new ChatMessage("user", JsonFields.text(line, "prompt")));
        Response a = new Response("response_0", JsonFields.text(line, "response_0"), JsonFields.optionalText(line, "response_0_source"));
        Response b = new Response("response_1", JsonFields.text(line, "response_1"), JsonFields.optionalText(line, "response_1_source"));
        boolean secondWins = JsonFields.binary(JsonFields.required(line, label.field()), label.field());
        Map<String, String> metadata = base.getMetadata();
        metadata.put("pku.preference", label.cliName());
        JsonFields.copyToMetadata(line, metadata, "pku", "better_response_id", "safer_response_id", "is_response_0_safe",
                "is_response_1_safe", "response_0_severity_level", "response_1_severity_level", "prompt_source",
                "response_0_source", "response_1_source");
        harmCategories(line, "response_0_harm_category", metadata);
        harmCategories(line, "response_1_harm_category", metadata);
        return Comparisons.between(base, FeedbackSource.HUMAN, ANNOTATOR, prompt, a, b,
                secondWins ? ComparisonOutcome.B : ComparisonOutcome.A, null);
    }

    @Override
    public String idVariant() {
        return label == SafeRlhfLabel.BETTER ? "" : "preference=" + label.cliName();
    }

    /** {"Violence": true, "Privacy Violation": false, ...} as the true categories, or "none". */
    private static void harmCategories(JsonNode line, String field, Map<String, String> metadata) {
        JsonNode categories = line.get(field);
        if (categories == null || !categories.isObject()) {
            return;
        }
        List<String> harms = new ArrayList<>();
        Iterator<Map.Entry<String, JsonNode>> it = categories.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> category = it.next();
            if (category.getValue().asBoolean(false)) {
                harms.add(category.getKey());
            }
        }
        metadata.put("pku." + field, harms.isEmpty() ? "none" : String.join(",", harms));
    }
}
