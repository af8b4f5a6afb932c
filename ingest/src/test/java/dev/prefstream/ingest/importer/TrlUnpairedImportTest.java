package dev.prefstream.ingest.importer;

import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.topology.IngestDriver;
import dev.prefstream.ingest.validate.EventValidator;
import dev.prefstream.schemas.avro.Feedback;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.JudgementKind;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.avro.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** TRL unpaired preference (KTO) lines become thumbs events that ingest pairs per prompt. */
class TrlUnpairedImportTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-20T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    private static ListSink importAuto(String file, ImportSummary[] summary) throws Exception {
        ListSink sink = new ListSink();
        summary[0] = DatasetImporter.autoDetecting(CLOCK)
                .importFile(Path.of(TrlUnpairedImportTest.class.getResource("/importers/" + file).toURI()), sink, null);
        EventValidator validator = new EventValidator(IngestConfig.defaultConfig());
        assertThat(sink.events).allSatisfy(e -> assertThat(validator.validate(e)).isEmpty());
        return sink;
    }

    private static String vote(PreferenceEvent e) {
        Feedback f = (Feedback) e.getJudgement();
        Response r = e.getResponses().get(0);
        assertThat(e.getResponses()).hasSize(1);
        assertThat(f.getResponseId()).isEqualTo(r.getResponseId()).isEqualTo(TrlUnpairedLineParser.responseId(r.getText()));
        return e.getPrompt().stream().map(m -> m.getRole() + ":" + m.getContent()).toList() + " " + r.getText() + " " + f.getThumb();
    }

    @Test
    void standardLinesBecomeOneThumbEachWithLabelsAsBooleansNumbersOrStrings() throws Exception {
        ImportSummary[] summary = new ImportSummary[1];
        ListSink sink = importAuto("kto-standard.jsonl", summary);
        assertThat(summary[0].format()).isEqualTo(ImportFormat.TRL_UNPAIRED);
        assertThat(summary[0].linesRead()).isEqualTo(7);
        assertThat(summary[0].eventsProduced()).isEqualTo(5);
        assertThat(summary[0].rejected()).containsExactlyInAnyOrderEntriesOf(Map.of("wrong_type", 1L, "missing_field", 1L));
        assertThat(sink.events).extracting(TrlUnpairedImportTest::vote).containsExactly(
                "[user:The sky is]  blue. UP",
                "[user:The sky is]  green. DOWN",
                "[user:The sun is]  hot. UP",
                "[user:The sun is]  cold. DOWN",
                "[user:The sun is]  a star. UP");
        assertThat(sink.events).allSatisfy(e -> {
            assertThat(e.getAnnotatorId()).isEqualTo(TrlUnpairedLineParser.ANNOTATOR);
            assertThat(e.getSource()).isEqualTo(FeedbackSource.HUMAN);
            assertThat(e.getEventId()).startsWith("trl-unpaired:");
        });
        assertThat(sink.events.get(0).getResponses().get(0).getResponseId()).isEqualTo("r-" + dev.prefstream.ingest.canonical.ContentHash.sha256Hex(" blue.").substring(0, 16));
    }

    @Test
    void conversationalCompletionsThatRepeatThePromptAreStripped() throws Exception {
        ImportSummary[] summary = new ImportSummary[1];
        ListSink sink = importAuto("kto-conversational.jsonl", summary);
        assertThat(summary[0].rejected()).isEmpty();
        assertThat(sink.events).extracting(TrlUnpairedImportTest::vote).containsExactly(
                "[user:What color is the sky?] It is blue. UP",
                "[user:What color is the sky?] It is green. DOWN",
                "[system:Be terse., user:2+2?] 4 UP");
    }

    @Test
    void ingestPairsTheUpsAndDownsOfEachPromptAndAReImportAddsNothing() throws Exception {
        ImportSummary[] summary = new ImportSummary[1];
        List<PreferenceEvent> events = new java.util.ArrayList<>(importAuto("kto-standard.jsonl", summary).events);
        events.addAll(importAuto("kto-conversational.jsonl", summary).events);
        try (IngestDriver driver = new IngestDriver(tmp.resolve("state"), Map.of())) {
            events.forEach(driver::pipe);
            events.forEach(driver::pipe); // the same files imported again: same ids, nothing new
            List<PreferencePair> pairs = driver.pairs();
            assertThat(pairs).extracting(p -> p.getPrompt().get(p.getPrompt().size() - 1).getContent() + " |" + p.getChosen() + " > " + p.getRejected())
                    .containsExactlyInAnyOrder(
                            "The sky is | blue. >  green.",
                            "The sun is | hot. >  cold.",
                            "The sun is | a star. >  cold.",
                            "What color is the sky? |It is blue. > It is green.");
            assertThat(pairs).allSatisfy(p -> {
                assertThat(p.getKind()).isEqualTo(JudgementKind.FEEDBACK);
                assertThat(p.getScoreMargin()).isEqualTo(1.0);
            });
            assertThat(driver.dlq()).isEmpty();
        }
    }

    @Test
    void ktoIsAnAliasOfTheFormatName() {
        assertThat(ImportFormat.parseOrAuto("kto")).contains(ImportFormat.TRL_UNPAIRED);
        assertThat(ImportFormat.parse("trl-unpaired")).isEqualTo(ImportFormat.TRL_UNPAIRED);
    }
}
