package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Tells a dataset's format from the keys (and, where keys alone are ambiguous, the value types) of one JSON object:
 * <ul>
 *   <li>{@code preferred_output} or {@code non_preferred_output}: openai</li>
 *   <li>a {@code completions} list: ultrafeedback</li>
 *   <li>{@code completion} and {@code label}: trl-unpaired (KTO)</li>
 *   <li>{@code chosen} and {@code rejected} strings that are {@code Human:}/{@code Assistant:} transcripts, with no
 *       prompt field: hh-rlhf</li>
 *   <li>any other {@code chosen} and {@code rejected} (or {@code chosen_response} and {@code rejected_response}): trl</li>
 *   <li>{@code human_ref_A} and {@code human_ref_B}: shp</li>
 *   <li>{@code response_0}, {@code response_1} and {@code better_response_id} or {@code safer_response_id}: pku-saferlhf</li>
 *   <li>{@code conversation_a}, {@code conversation_b} and {@code winner}: chatbot-arena</li>
 *   <li>{@code prompt} and an {@code answers} list: nectar</li>
 * </ul>
 * A line that fits several, or none, names its keys in the error so the user can pass {@code --format}.
 */
final class FormatDetector {

    /** "\n\nHuman: " at the start, or anywhere after a blank line: the HH-RLHF turn marker. */
    private static final Pattern HH_TURN = Pattern.compile("(?:^\\s*|\\n\\n)Human:");

    private FormatDetector() {
    }

    /** The format of the file whose first JSON object is {@code line}. */
    static ImportFormat detect(JsonNode line, long lineNumber) {
        Set<ImportFormat> matches = matches(line);
        if (matches.size() == 1) {
            return matches.iterator().next();
        }
        if (matches.isEmpty()) {
            throw new UnknownDatasetFormatException("cannot detect the dataset format: line " + lineNumber + " has keys " + keys(line)
                    + ", which match none of " + ImportFormat.names() + "; pass --format");
        }
        throw new UnknownDatasetFormatException("ambiguous dataset format: line " + lineNumber + " has keys " + keys(line)
                + ", which match " + matches.stream().map(ImportFormat::cliName).toList() + "; pass --format");
    }

    /** Every format whose shape {@code line} has (empty when none, several when ambiguous). */
    static Set<ImportFormat> matches(JsonNode line) {
        Set<ImportFormat> out = EnumSet.noneOf(ImportFormat.class);
        if (line == null || !line.isObject()) {
            return out;
        }
        if (line.has("preferred_output") || line.has("non_preferred_output")) {
            out.add(ImportFormat.OPENAI);
        }
        if (line.path("completions").isArray()) {
            out.add(ImportFormat.ULTRAFEEDBACK);
        }
        if (line.has("completion") && line.has("label")) {
            out.add(ImportFormat.TRL_UNPAIRED);
        }
        if (line.has("chosen") && line.has("rejected")) {
            out.add(isHhTranscriptPair(line) ? ImportFormat.HH_RLHF : ImportFormat.TRL);
        } else if (line.has("chosen_response") && line.has("rejected_response")) {
            out.add(ImportFormat.TRL);
        }
        if (line.has("human_ref_A") && line.has("human_ref_B")) {
            out.add(ImportFormat.SHP);
        }
        if (line.has("response_0") && line.has("response_1") && (line.has("better_response_id") || line.has("safer_response_id"))) {
            out.add(ImportFormat.PKU_SAFERLHF);
        }
        if (line.has("conversation_a") && line.has("conversation_b") && line.has("winner")) {
            out.add(ImportFormat.CHATBOT_ARENA);
        }
        if (line.has("prompt") && line.path("answers").isArray()) {
            out.add(ImportFormat.NECTAR);
        }
        return out;
    }

    /** True when TRL and HH-RLHF lines may share a file (both are chosen/rejected; the parser gives the reason). */
    static boolean sameFamily(ImportFormat a, ImportFormat b) {
        return a == b || chosenRejected(a) && chosenRejected(b);
    }

    private static boolean chosenRejected(ImportFormat f) {
        return f == ImportFormat.TRL || f == ImportFormat.HH_RLHF;
    }

    private static boolean isHhTranscriptPair(JsonNode line) {
        JsonNode chosen = line.get("chosen");
        JsonNode rejected = line.get("rejected");
        return chosen.isTextual() && rejected.isTextual()
                && !line.hasNonNull("prompt") && !line.hasNonNull("instruction") && !line.hasNonNull("question")
                && HH_TURN.matcher(chosen.asText()).find() && HH_TURN.matcher(rejected.asText()).find();
    }

    /** The line's top-level keys, in order, for error messages. */
    static List<String> keys(JsonNode line) {
        List<String> keys = new ArrayList<>();
        if (line != null) {
            Iterator<String> names = line.fieldNames();
            while (names.hasNext() && keys.size() < 20) {
                keys.add(names.next());
            }
        }
        return keys;
    }
}
