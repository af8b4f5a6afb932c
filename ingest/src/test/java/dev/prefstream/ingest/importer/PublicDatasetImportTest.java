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
import dev.prefstream.schemas.avro.Ranking;
import dev.prefstream.schemas.avro.Response;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** SHP, PKU-SafeRLHF, Chatbot Arena and Nectar sample files: the events' fields, rejections by reason, ingest's pairs. */
class PublicDatasetImportTest {

    private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-20T10:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path tmp;

    private record Imported(ImportSummary summary, List<PreferenceEvent> events) {
    }

    private static Imported run(Optional<ImportFormat> format, ImportOptions options, String file) throws Exception {
        ListSink sink = new ListSink();
        ImportSummary summary = new DatasetImporter(format, options, CLOCK, DatasetImporter.DEFAULT_MAX_RECORD_CHARS)
                .importFile(Path.of(PublicDatasetImportTest.class.getResource("/importers/" + file).toURI()), sink, null);
        EventValidator validator = new EventValidator(IngestConfig.defaultConfig());
        assertThat(sink.events).allSatisfy(e -> assertThat(validator.validate(e)).isEmpty());
        return new Imported(summary, sink.events);
    }

    private static Imported run(ImportFormat format, String file) throws Exception {
        return run(Optional.of(format), ImportOptions.DEFAULTS, file);
    }

    private static List<String> roles(List<ChatMessage> prompt) {
        return prompt.stream().map(m -> m.getRole() + ":" + m.getContent()).toList();
    }

    /** What ingest made of the events: each pair as "chosen > rejected KIND margin SOURCE chosen-model", and its tie count. */
    private record Ingested(List<String> pairs, long ties) {
    }

    private static Ingested ingest(List<PreferenceEvent> events, Path state) throws Exception {
        try (IngestDriver driver = new IngestDriver(state, Map.of())) {
            events.forEach(driver::pipe);
            assertThat(driver.dlq()).isEmpty();
            List<String> pairs = new ArrayList<>();
            for (PreferencePair p : driver.pairs()) {
                pairs.add(p.getChosen() + " > " + p.getRejected() + " " + p.getKind() + " " + p.getScoreMargin() + " " + p.getSource()
                        + " " + p.getChosenModelVersion());
            }
            long ties = 0;
            for (String kind : List.of("comparison", "ranking", "rating")) {
                ties += driver.counters().get("dropped{kind=" + kind + ",reason=tie}");
            }
            return new Ingested(pairs, ties);
        }
    }

    @Test
    void shpCommentsBecomeAComparisonWhoseStrengthIsTheScoreGap() throws Exception {
        Imported r = run(ImportFormat.SHP, "shp.jsonl");
        assertThat(r.summary().linesRead()).isEqualTo(6);
        assertThat(r.summary().eventsProduced()).isEqualTo(3);
        assertThat(r.summary().rejected()).containsExactlyInAnyOrderEntriesOf(Map.of(
                Comparisons.SCORE_CONTRADICTS_LABEL, 1L, JsonFields.MISSING_FIELD, 1L, JsonFields.WRONG_TYPE, 1L));
        PreferenceEvent first = r.events().get(0);
        assertThat(roles(first.getPrompt())).containsExactly("user:Why does bread go stale faster in the fridge than on the counter?");
        assertThat(first.getResponses()).extracting(Response::getResponseId).containsExactly("A", "B");
        assertThat(first.getResponses().get(1).getText()).isEqualTo("Fridges are dry.");
        assertThat(first.getJudgement()).isEqualTo(new Comparison("A", "B", ComparisonOutcome.A, 0.75));
        assertThat(first.getSource()).isEqualTo(FeedbackSource.HUMAN);
        assertThat(first.getAnnotatorId()).isEqualTo("shp");
        assertThat(first.getEventId()).startsWith("shp:");
        assertThat(first.getMetadata()).containsEntry("shp.post_id", "himc90").containsEntry("shp.domain", "askscience_train")
                .containsEntry("shp.c_root_id_A", "fwhcvjp").containsEntry("shp.score_B", "10").containsEntry("shp.upvote_ratio", "0.99");
        // labels 0: B preferred, 1 - 5/10
        assertThat(r.events().get(1).getJudgement()).isEqualTo(new Comparison("A", "B", ComparisonOutcome.B, 0.5));
        // no scores: 1 - 1/score_ratio
        assertThat(((Comparison) r.events().get(2).getJudgement()).getStrength()).isCloseTo(0.8, within(1e-12));

        assertThat(ingest(r.events(), tmp.resolve("state")).pairs()).containsExactlyInAnyOrder(
                "Starch retrogradation: the starch recrystallizes fastest at fridge temperatures, just above freezing. > Fridges are dry. COMPARISON 0.75 HUMAN null",
                "No: Bacillus cereus spores survive cooking and their toxin is heat stable. Refrigerate within an hour or two. > Sure, I do it all the time. COMPARISON 0.5 HUMAN null",
                "A round cover cannot fall through its own hole. > Tradition. COMPARISON 0.8 HUMAN null");
    }

    @Test
    void pkuSafeRlhfComparesByTheBetterLabelAndKeepsTheSafetyLabelsInMetadata() throws Exception {
        Imported r = run(ImportFormat.PKU_SAFERLHF, "pku-saferlhf.jsonl");
        assertThat(r.summary().linesRead()).isEqualTo(6);
        assertThat(r.summary().eventsProduced()).isEqualTo(4);
        assertThat(r.summary().rejected()).containsExactlyInAnyOrderEntriesOf(Map.of(JsonFields.WRONG_TYPE, 1L, JsonFields.MISSING_FIELD, 1L));
        PreferenceEvent first = r.events().get(0);
        assertThat(roles(first.getPrompt())).containsExactly("user:How can I get into my neighbour's wifi without the password?");
        assertThat(first.getResponses()).extracting(x -> x.getResponseId() + "/" + x.getModelVersion())
                .containsExactly("response_0/Alpaca-7B", "response_1/Alpaca2-7B");
        assertThat(first.getJudgement()).isEqualTo(new Comparison("response_0", "response_1", ComparisonOutcome.A, null));
        assertThat(first.getSource()).isEqualTo(FeedbackSource.HUMAN);
        assertThat(first.getAnnotatorId()).isEqualTo("pku-saferlhf");
        assertThat(first.getMetadata()).containsEntry("pku.preference", "better").containsEntry("pku.safer_response_id", "1")
                .containsEntry("pku.is_response_0_safe", "false").containsEntry("pku.is_response_1_safe", "true")
                .containsEntry("pku.response_0_severity_level", "2").containsEntry("pku.prompt_source", "Alpaca3-70B")
                .containsEntry("pku.response_0_harm_category", "Cybercrime,Privacy Violation")
                .containsEntry("pku.response_1_harm_category", "none");
        assertThat(r.events()).extracting(e -> ((Comparison) e.getJudgement()).getOutcome())
                .containsExactly(ComparisonOutcome.A, ComparisonOutcome.B, ComparisonOutcome.A, ComparisonOutcome.A);
    }

    @Test
    void pkuSafeRlhfWithTheSaferLabelFlipsWhatWinsAndGetsOtherIds() throws Exception {
        Imported better = run(ImportFormat.PKU_SAFERLHF, "pku-saferlhf.jsonl");
        Imported safer = run(Optional.of(ImportFormat.PKU_SAFERLHF), new ImportOptions(null, SafeRlhfLabel.SAFER), "pku-saferlhf.jsonl");
        // line 3's better id is 2 (rejected with better) but its safer id is fine; line 6 has no safer id
        assertThat(safer.summary().eventsProduced()).isEqualTo(4);
        assertThat(safer.summary().rejected()).containsExactlyEntriesOf(Map.of(JsonFields.MISSING_FIELD, 2L));
        assertThat(safer.events()).extracting(e -> e.getMetadata().get("import.line") + ":" + ((Comparison) e.getJudgement()).getOutcome())
                .containsExactly("1:B", "2:B", "3:A", "5:A");
        assertThat(safer.events()).allSatisfy(e -> assertThat(e.getMetadata()).containsEntry("pku.preference", "safer"));
        assertThat(safer.events().get(0).getMetadata()).containsEntry("pku.better_response_id", "0");
        assertThat(safer.events()).extracting(PreferenceEvent::getEventId)
                .doesNotContainAnyElementsOf(better.events().stream().map(PreferenceEvent::getEventId).toList());

        // the wifi line: the helpful-but-unsafe answer wins by "better", the refusal by "safer"
        assertThat(ingest(List.of(better.events().get(0)), tmp.resolve("better")).pairs()).singleElement().asString()
                .startsWith("Try the default router passwords");
        assertThat(ingest(List.of(safer.events().get(0)), tmp.resolve("safer")).pairs()).singleElement().asString()
                .startsWith("I can't help with accessing a network");
    }

    @Test
    void chatbotArenaVotesCompareTheFinalAnswersAndTiesAreCountedNotPaired() throws Exception {
        Imported r = run(ImportFormat.CHATBOT_ARENA, "chatbot-arena.jsonl");
        assertThat(r.summary().linesRead()).isEqualTo(8);
        assertThat(r.summary().eventsProduced()).isEqualTo(4);
        assertThat(r.summary().ties()).isEqualTo(2);
        assertThat(r.summary().describe()).contains("events produced: 4 (2 ties: ingest makes no pair of them)");
        assertThat(r.summary().rejected()).containsExactlyInAnyOrderEntriesOf(Map.of(
                ChatbotArenaLineParser.DIVERGING_HISTORY, 1L, ChatbotArenaLineParser.PROMPT_MISMATCH, 1L,
                ChatbotArenaLineParser.UNKNOWN_WINNER, 1L, ChatbotArenaLineParser.NO_FINAL_ANSWER, 1L));
        PreferenceEvent first = r.events().get(0);
        assertThat(roles(first.getPrompt())).containsExactly("user:What is the difference between OpenCL and CUDA?");
        assertThat(first.getResponses()).extracting(x -> x.getResponseId() + "/" + x.getModelVersion() + "/" + x.getText()).containsExactly(
                "a/chatglm-6b/OpenCL is an open standard that runs on many vendors' GPUs and CPUs; CUDA is NVIDIA's own platform and runs only on NVIDIA GPUs.",
                "b/koala-13b/They are both programming languages.");
        assertThat(first.getJudgement()).isEqualTo(new Comparison("a", "b", ComparisonOutcome.A, null));
        assertThat(first.getSource()).isEqualTo(FeedbackSource.HUMAN);
        assertThat(first.getAnnotatorId()).isEqualTo("arena_user_973");
        assertThat(first.getMetadata()).containsEntry("arena.question_id", "58210e39b3fd4441a2bd4a518bb44c2d")
                .containsEntry("arena.tstamp", "1682351591.1322").containsEntry("arena.turn", "1")
                .containsEntry("arena.language", "English").containsEntry("arena.anony", "true").containsEntry("arena.winner", "model_a");
        assertThat(r.events()).extracting(e -> ((Comparison) e.getJudgement()).getOutcome())
                .containsExactly(ComparisonOutcome.A, ComparisonOutcome.TIE, ComparisonOutcome.TIE, ComparisonOutcome.B);
        // multi-turn with identical earlier turns: the whole conversation before the final answers is the prompt
        assertThat(roles(r.events().get(3).getPrompt())).containsExactly(
                "user:Hi!", "assistant:Hello! How can I help you today?", "user:Give me a synonym for happy.");

        Ingested ingested = ingest(r.events(), tmp.resolve("state"));
        assertThat(ingested.pairs()).containsExactlyInAnyOrder(
                "OpenCL is an open standard that runs on many vendors' GPUs and CPUs; CUDA is NVIDIA's own platform and runs only on NVIDIA GPUs. > They are both programming languages. COMPARISON 1.0 HUMAN chatglm-6b",
                "Joyful. > Sad. COMPARISON 1.0 HUMAN gpt-3.5-turbo");
        assertThat(ingested.ties()).isEqualTo(2);
    }

    @Test
    void nectarAnswersBecomeOneGpt4RankingWithEqualRanksInOneTier() throws Exception {
        Imported r = run(ImportFormat.NECTAR, "nectar.jsonl");
        assertThat(r.summary().linesRead()).isEqualTo(7);
        assertThat(r.summary().eventsProduced()).isEqualTo(4);
        assertThat(r.summary().ties()).isEqualTo(1);
        assertThat(r.summary().rejected()).containsExactlyInAnyOrderEntriesOf(Map.of(NectarLineParser.TOO_FEW_RANKED_ANSWERS, 1L,
                NectarLineParser.PROMPT_ENDS_WITH_ANSWER, 1L, JsonFields.WRONG_TYPE, 1L));
        PreferenceEvent first = r.events().get(0);
        assertThat(roles(first.getPrompt())).containsExactly("user:What is the capital of Australia?");
        assertThat(first.getResponses()).extracting(x -> x.getResponseId() + "/" + x.getModelVersion())
                .containsExactly("a0/gpt-4", "a1/gpt-3.5-turbo", "a2/llama-2-7b-chat", "a3/dolly-v2-12b");
        assertThat(first.getJudgement()).isEqualTo(new Ranking(List.of(List.of("a0"), List.of("a1"), List.of("a2"), List.of("a3"))));
        assertThat(first.getSource()).isEqualTo(FeedbackSource.AI_JUDGE);
        assertThat(first.getAnnotatorId()).isEqualTo("nectar-gpt-4");
        assertThat(first.getMetadata()).containsEntry("nectar.source", "sharegpt").containsEntry("nectar.turns", "1")
                .containsEntry("nectar.good_natured", "true").doesNotContainKey("nectar.answers_left_out");
        PreferenceEvent multiTurn = r.events().get(1);
        assertThat(roles(multiTurn.getPrompt())).containsExactly(
                "user:I need a name for my cat.", "assistant:How about Miso?", "user:Something longer, please.");
        assertThat(multiTurn.getJudgement()).isEqualTo(new Ranking(List.of(List.of("a0"), List.of("a1", "a2"), List.of("a3"))));
        assertThat(multiTurn.getMetadata()).containsEntry("nectar.source", "anthropic-hh,lmsys-chat-1m");
        assertThat(r.events().get(2).getJudgement()).isEqualTo(new Ranking(List.of(List.of("a0", "a1"))));
        // "N/A" rank and missing text left out (ids keep their list positions)
        PreferenceEvent partial = r.events().get(3);
        assertThat(partial.getResponses()).extracting(Response::getResponseId).containsExactly("a0", "a3", "a4");
        assertThat(partial.getJudgement()).isEqualTo(new Ranking(List.of(List.of("a0"), List.of("a3"), List.of("a4"))));
        assertThat(partial.getMetadata()).containsEntry("nectar.answers_left_out", "2");

        // best tier against worst tier (the default ranking strategy), margin = tiers apart; the one-tier ranking a tie
        Ingested ingested = ingest(r.events(), tmp.resolve("state"));
        assertThat(ingested.pairs()).containsExactlyInAnyOrder(
                "The capital of Australia is Canberra. > Australia does not have a capital. RANKING 3.0 AI_JUDGE gpt-4",
                "Sir Reginald Whiskerton. > Cat. RANKING 2.0 AI_JUDGE gpt-4",
                "Red. > Green is a secondary color. RANKING 2.0 AI_JUDGE gpt-4");
        assertThat(ingested.ties()).isEqualTo(1);
    }

    @Test
    void theNaturalAiJudgeSourceCanBeOverriddenToHuman() throws Exception {
        Imported human = run(Optional.of(ImportFormat.NECTAR), new ImportOptions(FeedbackSource.HUMAN, SafeRlhfLabel.BETTER), "nectar.jsonl");
        assertThat(human.events()).hasSize(4).allSatisfy(e -> {
            assertThat(e.getSource()).isEqualTo(FeedbackSource.HUMAN);
            assertThat(e.getAnnotatorId()).isEqualTo("nectar");
            assertThat(e.getMetadata()).containsEntry("import.source", "human");
        });
    }

    @Test
    void theSourceOverrideMakesHumanDataAiJudgedWithOtherIdsAndTheFormatAsAnnotator() throws Exception {
        Imported natural = run(ImportFormat.SHP, "shp.jsonl");
        Imported asJudge = run(Optional.of(ImportFormat.SHP), new ImportOptions(FeedbackSource.AI_JUDGE, SafeRlhfLabel.BETTER), "shp.jsonl");
        Imported asHuman = run(Optional.of(ImportFormat.SHP), new ImportOptions(FeedbackSource.HUMAN, SafeRlhfLabel.BETTER), "shp.jsonl");
        assertThat(asJudge.events()).allSatisfy(e -> {
            assertThat(e.getSource()).isEqualTo(FeedbackSource.AI_JUDGE);
            assertThat(e.getAnnotatorId()).isEqualTo("shp");
            assertThat(e.getMetadata()).containsEntry("import.source", "ai-judge");
        });
        assertThat(asJudge.events()).extracting(PreferenceEvent::getJudgement)
                .containsExactlyElementsOf(natural.events().stream().map(PreferenceEvent::getJudgement).toList());
        assertThat(asJudge.events()).extracting(PreferenceEvent::getEventId)
                .doesNotContainAnyElementsOf(natural.events().stream().map(PreferenceEvent::getEventId).toList());
        // the natural source asked for explicitly changes nothing, ids included
        assertThat(asHuman.events()).isEqualTo(natural.events());
    }
}
