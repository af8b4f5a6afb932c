package dev.prefstream.ingest.importer;

import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.topology.IngestDriver;
import dev.prefstream.ingest.validate.EventValidator;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.avro.Rating;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each dataset format on a small sample file under src/test/resources/importers. */
class DatasetImporterTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-20T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    private static Path sample(String name) throws URISyntaxException {
        return Path.of(DatasetImporterTest.class.getResource("/importers/" + name).toURI());
    }

    private record Imported(ImportSummary summary, List<PreferenceEvent> events) {
    }

    private static Imported run(ImportFormat format, String file) throws Exception {
        ListSink sink = new ListSink();
        ImportSummary summary = new DatasetImporter(format, CLOCK).importFile(sample(file), sink, null);
        EventValidator validator = new EventValidator(IngestConfig.defaultConfig());
        assertThat(sink.events).allSatisfy(e -> assertThat(validator.validate(e)).isEmpty());
        return new Imported(summary, sink.events);
    }

    private static List<String> roles(List<ChatMessage> prompt) {
        return prompt.stream().map(m -> m.getRole() + ":" + m.getContent()).toList();
    }

    @Test
    void trlStandardWithExplicitPrompt() throws Exception {
        Imported r = run(ImportFormat.TRL, "trl-standard.jsonl");
        assertThat(r.summary().linesRead()).isEqualTo(5);
        assertThat(r.summary().blankLines()).isEqualTo(1);
        assertThat(r.summary().eventsProduced()).isEqualTo(2);
        assertThat(r.summary().rejected()).containsExactlyInAnyOrderEntriesOf(Map.of("implicit_prompt", 1L, "invalid_json", 1L));
        PreferenceEvent first = r.events().get(0);
        assertThat(roles(first.getPrompt())).containsExactly("user:The sky is");
        assertThat(first.getResponses()).extracting(x -> x.getText()).containsExactly(" blue.", " green.");
        assertThat(first.getJudgement()).isEqualTo(new Comparison("chosen", "rejected", ComparisonOutcome.A, null));
        assertThat(first.getSource()).isEqualTo(FeedbackSource.HUMAN);
        assertThat(first.getOccurredAt()).isEqualTo(CLOCK.instant());
        assertThat(first.getEventId()).startsWith("trl:").hasSize(4 + 32);
        assertThat(first.getMetadata()).containsEntry("import.line", "1").containsEntry("import.format", "trl");
    }

    @Test
    void trlConversationalWithExplicitAndImplicitPrompt() throws Exception {
        Imported r = run(ImportFormat.TRL, "trl-conversational.jsonl");
        assertThat(r.summary().eventsProduced()).isEqualTo(2);
        assertThat(r.summary().rejected()).containsExactlyEntriesOf(Map.of("wrong_type", 1L));
        assertThat(roles(r.events().get(0).getPrompt())).containsExactly("user:What color is the sky?");
        assertThat(r.events().get(0).getResponses().get(0).getText()).isEqualTo("It is blue.");
        assertThat(roles(r.events().get(1).getPrompt())).containsExactly("user:Say hi");
        assertThat(r.events().get(1).getResponses()).extracting(x -> x.getText()).containsExactly("Hi there!", "Go away.");
    }

    @Test
    void hhRlhfTranscriptsSplitIntoPromptAndFinalAnswer() throws Exception {
        Imported r = run(ImportFormat.HH_RLHF, "hh-rlhf.jsonl");
        assertThat(r.summary().eventsProduced()).isEqualTo(2);
        assertThat(r.summary().rejected()).containsExactlyInAnyOrderEntriesOf(Map.of("prompt_mismatch", 1L, "not_a_transcript", 1L));
        PreferenceEvent multiTurn = r.events().get(0);
        assertThat(roles(multiTurn.getPrompt())).containsExactly(
                "user:What are some cuss words in english?", "assistant:I'd rather not list those.", "user:Why not?");
        assertThat(multiTurn.getResponses()).extracting(x -> x.getText())
                .containsExactly("They can hurt people, and I try to be helpful instead.", "Fine, here is a list.");
        assertThat(multiTurn.getAnnotatorId()).isEqualTo("hh-rlhf");
    }

    @Test
    void ultraFeedbackBecomesOneMultiAspectRatingEvent() throws Exception {
        Imported r = run(ImportFormat.ULTRAFEEDBACK, "ultrafeedback.jsonl");
        assertThat(r.summary().eventsProduced()).isEqualTo(1);
        assertThat(r.summary().rejected()).containsExactlyEntriesOf(Map.of("too_few_rated_completions", 1L));
        PreferenceEvent e = r.events().get(0);
        assertThat(e.getSource()).isEqualTo(FeedbackSource.AI_JUDGE);
        assertThat(roles(e.getPrompt())).containsExactly("user:Name a prime number greater than 10.");
        assertThat(e.getResponses()).extracting(x -> x.getModelVersion()).containsExactly("gpt-4", "llama-2-7b-chat", "falcon-40b-instruct");
        Rating rating = (Rating) e.getJudgement();
        assertThat(rating.getScaleMin()).isEqualTo(1.0);
        assertThat(rating.getScaleMax()).isEqualTo(5.0);
        assertThat(rating.getScores().get(1).getAspects())
                .containsExactlyInAnyOrderEntriesOf(Map.of("helpfulness", 1.0, "instruction_following", 3.0, "truthfulness", 1.0));
        assertThat(rating.getScores().get(0).getScore()).isNull();
    }

    @Test
    void openAiPreferenceLines() throws Exception {
        Imported r = run(ImportFormat.OPENAI, "openai.jsonl");
        assertThat(r.summary().eventsProduced()).isEqualTo(2);
        assertThat(r.summary().rejected()).containsExactlyEntriesOf(Map.of("missing_field", 1L));
        assertThat(roles(r.events().get(1).getPrompt())).containsExactly("system:Be brief.", "user:2+2?");
        assertThat(r.events().get(1).getResponses().get(0).getText()).isEqualTo("4");
    }

    @Test
    void theSameFileImportedTwiceGivesTheSameEventIds() throws Exception {
        assertThat(run(ImportFormat.OPENAI, "openai.jsonl").events()).extracting(PreferenceEvent::getEventId)
                .containsExactlyElementsOf(run(ImportFormat.OPENAI, "openai.jsonl").events().stream().map(PreferenceEvent::getEventId).toList());
    }

    @Test
    void anUnreadableFileIsAnIOException() {
        assertThatThrownBy(() -> new DatasetImporter(ImportFormat.TRL, CLOCK).importFile(tmp.resolve("missing.jsonl"), new ListSink(), null))
                .isInstanceOf(NoSuchFileException.class);
    }

    @Test
    void linesThatAreNotUtf8AreRejectedAsSuch() throws IOException {
        Path latin1 = Files.write(tmp.resolve("latin1.jsonl"), new byte[]{'{', '"', (byte) 0xE9, '"', '}', '\n'});
        ListSink sink = new ListSink();
        ImportSummary summary = new DatasetImporter(ImportFormat.TRL, CLOCK).importFile(latin1, sink, null);
        assertThat(summary.rejected()).containsExactlyEntriesOf(java.util.Map.of(DatasetImporter.INVALID_UTF8, 1L));
        assertThat(sink.events).isEmpty();
    }

    @Test
    void importedEventsBecomePairsInTheIngestTopology() throws Exception {
        List<PreferenceEvent> events = new java.util.ArrayList<>();
        events.addAll(run(ImportFormat.HH_RLHF, "hh-rlhf.jsonl").events());
        events.addAll(run(ImportFormat.ULTRAFEEDBACK, "ultrafeedback.jsonl").events());
        events.addAll(run(ImportFormat.OPENAI, "openai.jsonl").events());
        events.addAll(run(ImportFormat.TRL, "trl-conversational.jsonl").events());
        try (IngestDriver driver = new IngestDriver(tmp.resolve("state"), Map.of("ingest.rating.pairing", "MAX_VS_MIN"))) {
            events.forEach(driver::pipe);
            List<PreferencePair> pairs = driver.pairs();
            assertThat(pairs).hasSize(events.size());
            assertThat(driver.dlq()).isEmpty();
            PreferencePair ultra = pairs.stream().filter(p -> p.getSource() == FeedbackSource.AI_JUDGE).findFirst().orElseThrow();
            assertThat(ultra.getChosen()).isEqualTo("11 is a prime number greater than 10.");
            assertThat(ultra.getRejected()).isEqualTo("9 is a prime number.");
            assertThat(ultra.getChosenModelVersion()).isEqualTo("gpt-4");
        }
    }
}
