package dev.prefstream.ingest.importer;

import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.topology.IngestDriver;
import dev.prefstream.ingest.validate.EventValidator;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.JudgementKind;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.avro.Rating;
import dev.prefstream.schemas.avro.ResponseScore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** ultrafeedback_binarized / argilla-style lines: scores become ratings, repeated prompt turns are stripped, field aliases read. */
class ScoredPreferenceImportTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-20T10:00:00Z"), ZoneOffset.UTC);
    private static final Comparison CHOSEN_WINS = new Comparison("chosen", "rejected", ComparisonOutcome.A, null);

    @TempDir
    Path tmp;

    private record Imported(ImportSummary summary, List<PreferenceEvent> events) {
    }

    private static Imported importAuto(String file) throws Exception {
        ListSink sink = new ListSink();
        ImportSummary summary = DatasetImporter.autoDetecting(CLOCK)
                .importFile(Path.of(ScoredPreferenceImportTest.class.getResource("/importers/" + file).toURI()), sink, null);
        EventValidator validator = new EventValidator(IngestConfig.defaultConfig());
        assertThat(sink.events).allSatisfy(e -> assertThat(validator.validate(e)).isEmpty());
        return new Imported(summary, sink.events);
    }

    /** prompt | chosen (model) | rejected (model) */
    private static String shape(PreferenceEvent e) {
        return e.getPrompt().stream().map(m -> m.getRole() + ":" + m.getContent()).toList()
                + " | " + e.getResponses().get(0).getText() + " (" + e.getResponses().get(0).getModelVersion() + ")"
                + " | " + e.getResponses().get(1).getText() + " (" + e.getResponses().get(1).getModelVersion() + ")";
    }

    private static Rating rating(double min, double max, double chosen, double rejected) {
        return new Rating(min, max, List.of(new ResponseScore("chosen", chosen, Map.of()), new ResponseScore("rejected", rejected, Map.of())));
    }

    @Test
    void ultrafeedbackBinarizedScoresBecomeRatingsWithThePromptTurnStripped() throws Exception {
        Imported r = importAuto("ultrafeedback-binarized.jsonl");
        assertThat(r.summary().format()).isEqualTo(ImportFormat.TRL);
        assertThat(r.summary().eventsProduced()).isEqualTo(4);
        assertThat(r.summary().rejected()).containsExactlyEntriesOf(Map.of(TrlLineParser.SCORE_CONTRADICTS_LABEL, 1L));
        assertThat(r.events()).extracting(ScoredPreferenceImportTest::shape).containsExactly(
                "[user:What is 2+2?] | 2+2 is 4. (null) | 2+2 is 5. (null)",
                "[user:Name a fruit.] | Apple. (null) | Pear. (null)",
                "[user:Name a tree.] | Oak. (null) | Rose. (null)",
                "[user:Name a planet.] | Mars. (null) | The Moon. (null)");
        assertThat(r.events()).extracting(PreferenceEvent::getJudgement).containsExactly(
                rating(0, 10, 8.0, 3.5),
                rating(0, 10, 7.0, 7.0),
                CHOSEN_WINS, // score_chosen null: a plain comparison
                CHOSEN_WINS); // score_rejected "N/A": a plain comparison
        assertThat(r.events()).allSatisfy(e -> assertThat(e.getAnnotatorId()).isEqualTo(TrlLineParser.ANNOTATOR));
    }

    @Test
    void argillaStyleRatingsModelsAndFieldAliases() throws Exception {
        Imported r = importAuto("argilla-dpo.jsonl");
        assertThat(r.summary().rejected()).isEmpty();
        assertThat(r.events()).extracting(ScoredPreferenceImportTest::shape).containsExactly(
                "[user:Name a color.] | Blue. (gpt-4) | Seven. (llama-2-7b-chat)",
                "[system:Be kind., user:Hi] | Hello! How can I help? (gpt-4) | What. (mistral-7b)",
                "[user:Say hi] | Hi! (gpt-4) | No. (null)",
                "[system:You are an AI assistant., user:What is the capital of France?] | Paris. (null) | Lyon. (null)",
                "[system:Translate only., user:Translate 'chat'.] | cat (null) | dog (null)");
        assertThat(r.events()).extracting(PreferenceEvent::getJudgement).containsExactly(
                rating(0, 5, 4.5, 1.25),
                rating(0, 5, 5, 2),
                rating(0, 5, 4.75, 2.0),
                CHOSEN_WINS,
                CHOSEN_WINS);
    }

    @Test
    void ingestKeepsTheScoreMarginAndCountsEqualScoresAsATie() throws Exception {
        List<PreferenceEvent> events = new ArrayList<>(importAuto("ultrafeedback-binarized.jsonl").events());
        events.addAll(importAuto("argilla-dpo.jsonl").events());
        try (IngestDriver driver = new IngestDriver(tmp.resolve("state"), Map.of())) {
            events.forEach(driver::pipe);
            List<PreferencePair> pairs = driver.pairs();
            assertThat(pairs).extracting(p -> p.getChosen() + ">" + p.getRejected() + " " + p.getKind() + " " + p.getScoreMargin())
                    .containsExactlyInAnyOrder(
                            "2+2 is 4.>2+2 is 5. RATING 4.5",
                            "Oak.>Rose. COMPARISON 1.0",
                            "Mars.>The Moon. COMPARISON 1.0",
                            "Blue.>Seven. RATING 3.25",
                            "Hello! How can I help?>What. RATING 3.0",
                            "Hi!>No. RATING 2.75",
                            "Paris.>Lyon. COMPARISON 1.0",
                            "cat>dog COMPARISON 1.0");
            assertThat(pairs).filteredOn(p -> p.getChosen().equals("2+2 is 4.")).singleElement()
                    .satisfies(p -> assertThat(p.getPrompt()).hasSize(1));
            assertThat(driver.counters().get("dropped{kind=rating,reason=tie}")).isEqualTo(1);
            assertThat(driver.dlq()).isEmpty();
            assertThat(pairs).noneMatch(p -> p.getKind() == JudgementKind.FEEDBACK);
        }
    }
}
