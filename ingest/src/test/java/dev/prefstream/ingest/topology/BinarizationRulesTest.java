package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.Events;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static dev.prefstream.ingest.Events.ranking;
import static dev.prefstream.ingest.Events.rating;
import static org.assertj.core.api.Assertions.assertThat;

/** Binarization per kind and strategy, through the production topology. */
class BinarizationRulesTest {

    @TempDir
    Path stateDir;

    private static List<String> labels(List<PreferencePair> pairs) {
        return pairs.stream().map(p -> p.getChosen() + ">" + p.getRejected() + "@" + p.getScoreMargin()).toList();
    }

    @Test
    void rankingBestVsWorstIsTheDefaultAndTiedResponsesNeverPair() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            driver.pipe(ranking("k1", "p1", List.of(List.of(0), List.of(1), List.of(2)), "A", "B", "C"));
            driver.pipe(ranking("k2", "p2", List.of(List.of(0, 1), List.of(2)), "A", "B", "C"));
            driver.pipe(ranking("k3", "p3", List.of(List.of(0, 1, 2)), "A", "B", "C"));

            assertThat(labels(driver.pairs())).containsExactly("A>C@2.0", "A>C@1.0", "B>C@1.0");
            assertThat(driver.counters().get("dropped{kind=ranking,reason=tie}")).isEqualTo(1);
        }
    }

    @Test
    void rankingAllPairsAndAdjacent() {
        try (IngestDriver all = new IngestDriver(stateDir.resolve("all"), Map.of("ingest.ranking.strategy", "ALL_PAIRS"))) {
            all.pipe(ranking("k1", "p", List.of(List.of(0), List.of(1, 2), List.of(3)), "A", "B", "C", "D"));
            assertThat(labels(all.pairs())).containsExactlyInAnyOrder("A>B@1.0", "A>C@1.0", "A>D@2.0", "B>D@1.0", "C>D@1.0");
        }
        try (IngestDriver adjacent = new IngestDriver(stateDir.resolve("adj"), Map.of("ingest.ranking.strategy", "adjacent"))) {
            adjacent.pipe(ranking("k1", "p", List.of(List.of(0), List.of(1), List.of(2)), "A", "B", "C"));
            assertThat(labels(adjacent.pairs())).containsExactly("A>B@1.0", "B>C@1.0");
        }
    }

    @Test
    void ratingPairsNeverJoinEqualScoresAndRespectTheMinimumMargin() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of("ingest.rating.pairing", "ALL_PAIRS", "ingest.rating.min-margin", "1.5"))) {
            driver.pipe(rating("t1", "p1", new double[]{4, 4, 4}, "A", "B", "C"));
            driver.pipe(rating("t2", "p2", new double[]{4, 3, 3.5}, "A", "B", "C"));
            driver.pipe(rating("t3", "p3", new double[]{5, 3, 5, 1}, "A", "B", "C", "D"));

            assertThat(labels(driver.pairs())).containsExactlyInAnyOrder("A>B@2.0", "A>D@4.0", "C>B@2.0", "C>D@4.0", "B>D@2.0");
            assertThat(driver.counters().get("dropped{kind=rating,reason=tie}")).isEqualTo(1);
            assertThat(driver.counters().get("dropped{kind=rating,reason=below_min_margin}")).isEqualTo(1);
        }
    }

    @Test
    void ratingMaxVsMinTakesTheFirstListedBestAndWorst() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of("ingest.rating.pairing", "MAX_VS_MIN"))) {
            driver.pipe(rating("t1", "p1", new double[]{2, 5, 1, 5, 1}, "A", "B", "C", "D", "E"));
            assertThat(labels(driver.pairs())).containsExactly("B>C@4.0");
        }
    }

    @Test
    void ratingBestVsRandomLowerIsSeededByTheEventId() {
        double[] scores = {5, 1, 2, 3, 4};
        String[] texts = {"best", "l1", "l2", "l3", "l4"};
        Set<String> rejectedAcrossEvents = new HashSet<>();
        try (IngestDriver first = new IngestDriver(stateDir.resolve("a"), Map.of())) {
            for (int i = 0; i < 12; i++) {
                first.pipe(rating("ev-" + i, "prompt " + i, scores, texts));
            }
            List<PreferencePair> pairs = first.pairs();
            assertThat(pairs).hasSize(12).allSatisfy(p -> assertThat(p.getChosen()).isEqualTo("best"));
            pairs.forEach(p -> rejectedAcrossEvents.add(p.getRejected()));
            // the same events in a fresh app choose the same rejected responses
            try (IngestDriver replay = new IngestDriver(stateDir.resolve("b"), Map.of())) {
                for (int i = 0; i < 12; i++) {
                    replay.pipe(rating("ev-" + i, "prompt " + i, scores, texts));
                }
                assertThat(replay.pairs()).extracting(PreferencePair::getRejected)
                        .containsExactlyElementsOf(pairs.stream().map(PreferencePair::getRejected).toList());
            }
        }
        assertThat(rejectedAcrossEvents).hasSizeGreaterThan(1).doesNotContain("best");
    }

    @Test
    void ratingScoreIsOverallOrTheMeanOverAspects() {
        List<Map<String, Double>> aspects = List.of(
                Map.of("helpfulness", 5.0, "honesty", 1.0),   // mean 3
                Map.of("helpfulness", 3.0, "honesty", 4.0));  // mean 3.5
        try (IngestDriver driver = new IngestDriver(stateDir.resolve("mean"), Map.of("ingest.rating.score", "ASPECT_MEAN"))) {
            driver.pipe(Events.aspectRating("a1", "p", aspects, "first", "second"));
            assertThat(labels(driver.pairs())).containsExactly("second>first@0.5");
        }
        // OVERALL prefers the overall score where one is given
        PreferenceEvent withOverall = rating("o1", "p", new double[]{2, 4}, "first", "second");
        try (IngestDriver driver = new IngestDriver(stateDir.resolve("overall"), Map.of("ingest.rating.score", "OVERALL"))) {
            driver.pipe(withOverall);
            assertThat(labels(driver.pairs())).containsExactly("second>first@2.0");
        }
    }

    @Test
    void comparisonStrengthIsTheMargin() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            PreferenceEvent e = PreferenceEvent.newBuilder(Events.comparison("c1", "p", "x", "y", ComparisonOutcome.A))
                    .setJudgement(new Comparison("r0", "r1", ComparisonOutcome.B, 0.25)).build();
            driver.pipe(e);
            assertThat(labels(driver.pairs())).containsExactly("y>x@0.25");
        }
    }

    @Test
    void aiJudgeEventsAreDownWeightedOrDroppedByConfigAndKeepTheirOrigin() {
        PreferenceEvent judged = PreferenceEvent.newBuilder(Events.comparison("j1", "p", "x", "y", ComparisonOutcome.A))
                .setSource(FeedbackSource.AI_JUDGE).setAnnotatorId("judge-model-7b").setWeight(0.8).build();
        try (IngestDriver driver = new IngestDriver(stateDir.resolve("w"), Map.of("ingest.ai-judge.weight", "0.5"))) {
            driver.pipe(judged);
            List<PreferencePair> pairs = driver.pairs();
            assertThat(pairs).hasSize(1);
            assertThat(pairs.get(0).getSource()).isEqualTo(FeedbackSource.AI_JUDGE);
            assertThat(pairs.get(0).getWeight()).isEqualTo(0.4, org.assertj.core.data.Offset.offset(1e-12));
        }
        try (IngestDriver driver = new IngestDriver(stateDir.resolve("d"), Map.of("ingest.ai-judge.policy", "DROP"))) {
            driver.pipe(judged);
            driver.pipe(Events.comparison("h1", "p", "x", "y", ComparisonOutcome.A));
            assertThat(driver.pairs()).extracting(PreferencePair::getSource).containsExactly(FeedbackSource.HUMAN);
            assertThat(driver.counters().get("dropped{kind=comparison,reason=ai_judge_filtered}")).isEqualTo(1);
            assertThat(driver.dlq()).isEmpty();
        }
    }
}
