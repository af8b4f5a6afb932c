package dev.prefstream.ingest.importer;

import dev.prefstream.schemas.avro.PreferenceEvent;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code --format auto}: the first JSON object's keys pick the format; unknown and ambiguous shapes are refused by name. */
class FormatDetectionTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-20T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    /** What the importer told its progress listener about detection. */
    private static final class Detections implements DatasetImporter.Progress {
        final List<String> seen = new ArrayList<>();

        @Override
        public void update(long bytesRead, long totalBytes, long lines) {
        }

        @Override
        public void formatDetected(ImportFormat format, long lineNumber, List<String> keys) {
            seen.add(format.cliName() + "@" + lineNumber + " " + keys);
        }
    }

    private static Path sample(String name) throws Exception {
        return Path.of(FormatDetectionTest.class.getResource("/importers/" + name).toURI());
    }

    @ParameterizedTest
    @CsvSource({
            "trl-standard.jsonl, TRL, 'trl@1 [prompt, chosen, rejected]'",
            "trl-conversational.jsonl, TRL, 'trl@1 [prompt, chosen, rejected]'",
            "hh-rlhf.jsonl, HH_RLHF, 'hh-rlhf@1 [chosen, rejected]'",
            "ultrafeedback.jsonl, ULTRAFEEDBACK, 'ultrafeedback@1 [source, instruction, models, completions]'",
            "openai.jsonl, OPENAI, 'openai@1 [input, preferred_output, non_preferred_output]'",
            "ultrafeedback-binarized.jsonl, TRL, 'trl@1 [prompt, prompt_id, chosen, rejected, messages, score_chosen, score_rejected]'",
            "argilla-dpo.jsonl, TRL, 'trl@1 [source, prompt, chosen, chosen-rating, chosen-model, rejected, rejected-rating, rejected-model]'",
            "kto-standard.jsonl, TRL_UNPAIRED, 'trl-unpaired@1 [prompt, completion, label]'",
            "kto-conversational.jsonl, TRL_UNPAIRED, 'trl-unpaired@1 [prompt, completion, label]'",
            "shp.jsonl, SHP, 'shp@1 [post_id, domain, upvote_ratio, history, c_root_id_A, c_root_id_B, created_at_utc_A, created_at_utc_B, score_A, score_B, human_ref_A, human_ref_B, labels, seconds_difference, score_ratio]'",
            "pku-saferlhf.jsonl, PKU_SAFERLHF, 'pku-saferlhf@1 [prompt, response_0, response_1, prompt_source, response_0_source, response_1_source, is_response_0_safe, is_response_1_safe, response_0_harm_category, response_1_harm_category, response_0_severity_level, response_1_severity_level, better_response_id, safer_response_id, response_0_sha256, response_1_sha256]'",
            "chatbot-arena.jsonl, CHATBOT_ARENA, 'chatbot-arena@1 [question_id, model_a, model_b, winner, judge, conversation_a, conversation_b, turn, anony, language, tstamp, openai_moderation, toxic_chat_tag]'",
            "nectar.jsonl, NECTAR, 'nectar@1 [prompt, answers, turns, num_responses, source, good_natured]'",
    })
    void everySampleFileIsDetectedAndReadExactlyAsWithItsExplicitFormat(String file, ImportFormat expected, String detection) throws Exception {
        Detections detections = new Detections();
        ListSink auto = new ListSink();
        ImportSummary autoSummary = DatasetImporter.autoDetecting(CLOCK).importFile(sample(file), auto, detections);
        ListSink explicit = new ListSink();
        ImportSummary explicitSummary = new DatasetImporter(expected, CLOCK).importFile(sample(file), explicit, null);

        assertThat(detections.seen).containsExactly(detection);
        assertThat(autoSummary).isEqualTo(explicitSummary);
        assertThat(autoSummary.format()).isEqualTo(expected);
        assertThat(auto.events).isEqualTo(explicit.events);
        assertThat(auto.events).isNotEmpty();
    }

    @Test
    void detectionSkipsBlankAndNonJsonLinesAndTheSummaryNamesTheFormat() throws Exception {
        Path file = Files.writeString(tmp.resolve("late.jsonl"), String.join("\n",
                "",
                "garbage",
                "{\"prompt\": \"Hi\", \"chosen\": \"Hello!\", \"rejected\": \"Go away.\"}") + "\n");
        Detections detections = new Detections();
        ImportSummary summary = DatasetImporter.autoDetecting(CLOCK).importFile(file, new ListSink(), detections);
        assertThat(detections.seen).containsExactly("trl@3 [prompt, chosen, rejected]");
        assertThat(summary.eventsProduced()).isEqualTo(1);
        assertThat(summary.rejected()).containsExactlyEntriesOf(Map.of("invalid_json", 1L));
        assertThat(summary.describe()).startsWith("format:          trl (JSON lines)\n");
    }

    @Test
    void anUnknownShapeIsRefusedNamingTheKeysSeen() throws Exception {
        Path file = Files.writeString(tmp.resolve("sft.jsonl"), "{\"messages\": [{\"role\": \"user\", \"content\": \"Hi\"}], \"id\": 7}\n");
        ListSink sink = new ListSink();
        assertThatThrownBy(() -> DatasetImporter.autoDetecting(CLOCK).importFile(file, sink, null))
                .isInstanceOf(UnknownDatasetFormatException.class)
                .hasMessage("cannot detect the dataset format: line 1 has keys [messages, id], which match none of "
                        + ImportFormat.names() + "; pass --format");
        assertThat(sink.events).isEmpty();
    }

    @Test
    void anAmbiguousShapeIsRefusedNamingTheCandidates() throws Exception {
        Path file = Files.writeString(tmp.resolve("both.jsonl"),
                "{\"chosen\": \"a\", \"rejected\": \"b\", \"preferred_output\": [], \"non_preferred_output\": []}\n");
        assertThatThrownBy(() -> DatasetImporter.autoDetecting(CLOCK).importFile(file, new ListSink(), null))
                .isInstanceOf(UnknownDatasetFormatException.class)
                .hasMessageContaining("ambiguous dataset format: line 1 has keys [chosen, rejected, preferred_output, non_preferred_output]")
                .hasMessageContaining("[trl, openai]");
    }

    @Test
    void afterDetectionALineOfAnotherFormatIsRejectedWithItsOwnReason() throws Exception {
        Path file = Files.writeString(tmp.resolve("mixed.jsonl"), String.join("\n",
                "{\"prompt\": \"2+2?\", \"chosen\": \"4\", \"rejected\": \"5\"}",
                "{\"input\": {\"messages\": [{\"role\": \"user\", \"content\": \"x\"}]}, \"preferred_output\": [{\"role\": \"assistant\", \"content\": \"a\"}], \"non_preferred_output\": [{\"role\": \"assistant\", \"content\": \"b\"}]}",
                "{\"text\": \"no shape at all\"}",
                "{\"chosen\": \"\\n\\nHuman: Hi\\n\\nAssistant: Hello\", \"rejected\": \"\\n\\nHuman: Hi\\n\\nAssistant: Bye\"}") + "\n");
        ListSink sink = new ListSink();
        ImportSummary summary = DatasetImporter.autoDetecting(CLOCK).importFile(file, sink, null);
        assertThat(summary.format()).isEqualTo(ImportFormat.TRL);
        // the openai line is another format; the shapeless line gets trl's own reason; the HH line is trl's family
        // and trl refuses a standard line without a prompt, as --format trl would
        assertThat(summary.rejected()).containsExactlyInAnyOrderEntriesOf(Map.of(
                DatasetImporter.OTHER_FORMAT, 1L, "missing_field", 1L, "implicit_prompt", 1L));
        assertThat(sink.events).extracting(PreferenceEvent::getEventId).singleElement().asString().startsWith("trl:");
    }

    @Test
    void hhTranscriptsAndPlainTrlStringsAreToldApartByTheirValues() {
        assertThat(FormatDetector.matches(json("{\"chosen\": \"Human: Hi\\n\\nAssistant: Yo\", \"rejected\": \"\\n\\nHuman: Hi\\n\\nAssistant: No\"}")))
                .containsExactly(ImportFormat.HH_RLHF);
        assertThat(FormatDetector.matches(json("{\"prompt\": \"\\n\\nHuman: Hi\", \"chosen\": \"\\n\\nHuman: Hi\", \"rejected\": \"\\n\\nHuman: Hi\"}")))
                .containsExactly(ImportFormat.TRL);
        assertThat(FormatDetector.matches(json("{\"chosen\": \"The sky is blue.\", \"rejected\": \"The sky is green.\"}")))
                .containsExactly(ImportFormat.TRL);
        assertThat(FormatDetector.matches(json("[1, 2]"))).isEmpty();
    }

    @Test
    void autoIsAcceptedByNameAndUnknownNamesListIt() {
        assertThat(ImportFormat.parseOrAuto("AUTO")).isEmpty();
        assertThat(ImportFormat.parseOrAuto("hh_rlhf")).contains(ImportFormat.HH_RLHF);
        assertThatThrownBy(() -> ImportFormat.parseOrAuto("csv")).hasMessageStartingWith("unknown format 'csv'; one of auto, [trl");
    }

    private static com.fasterxml.jackson.databind.JsonNode json(String s) {
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(e);
        }
    }
}
