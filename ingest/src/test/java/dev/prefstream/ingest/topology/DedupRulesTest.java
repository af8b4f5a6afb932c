package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.Events;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static dev.prefstream.ingest.Events.T0;
import static dev.prefstream.ingest.Events.comparison;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Dedup by pair_id over the window store, the conflict rule and retention. (State across a restart: DriverRestartTest through the driver, IngestIntegrationTest on the broker.) */
class DedupRulesTest {

    @TempDir
    Path stateDir;

    private static PreferenceEvent at(PreferenceEvent event, Instant when) {
        return PreferenceEvent.newBuilder(event).setOccurredAt(when).build();
    }

    @Test
    void theSamePairFromAnotherEventKindOrSourceIsDroppedAsDuplicate() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            driver.pipe(comparison("c1", "Capital of France?", "Paris.", "Lyon.", ComparisonOutcome.A));
            // same judgement, different event id, prompt and texts spaced differently
            PreferenceEvent again = PreferenceEvent.newBuilder(comparison("c2", "Capital of  France?\n", " Paris. ", "Lyon.", ComparisonOutcome.A))
                    .setPrompt(List.of(new ChatMessage(" USER ", "Capital   of France?"))).build();
            driver.pipe(again);
            // the same pair from a ranking
            driver.pipe(Events.ranking("k1", "Capital of France?", List.of(List.of(0), List.of(1)), "Paris.", "Lyon."));
            // and a replay of the first event
            driver.pipe(comparison("c1", "Capital of France?", "Paris.", "Lyon.", ComparisonOutcome.A));

            assertThat(driver.pairs()).extracting(p -> p.getEventIds().get(0)).containsExactly("c1");
            assertThat(driver.counters().get("duplicates")).isEqualTo(3);
            assertThat(driver.counters().get("dropped{kind=ranking,reason=duplicate}")).isEqualTo(1);
        }
    }

    @Test
    void oppositeLabelsAreCountedAndTheLaterDirectionIsWeightedByItsShareOfVotes() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            driver.pipe(comparison("v1", "q", "X", "Y", ComparisonOutcome.A));   // X>Y
            driver.pipe(comparison("v2", "q", "X", "Y", ComparisonOutcome.A));   // X>Y again (duplicate, 2 votes)
            driver.pipe(comparison("v3", "q", "Y", "X", ComparisonOutcome.B));   // X>Y stated the other way round (3 votes)
            driver.pipe(comparison("v4", "q", "X", "Y", ComparisonOutcome.B));   // Y>X: contradicts 3 votes
            driver.pipe(comparison("v5", "q", "X", "Y", ComparisonOutcome.B));   // Y>X again: duplicate
            driver.pipe(comparison("v6", "q2", "X", "Y", ComparisonOutcome.A));  // another prompt: no conflict
            driver.pipe(comparison("v2", "q", "X", "Y", ComparisonOutcome.A));   // replay of v2: not another vote
            driver.pipe(comparison("v7", "q2", "X", "Y", ComparisonOutcome.B));  // contradicts one vote (v6)

            List<PreferencePair> pairs = driver.pairs();
            assertThat(pairs).extracting(p -> p.getChosen() + ">" + p.getRejected()).containsExactly("X>Y", "Y>X", "X>Y", "Y>X");
            assertThat(pairs.get(0).getWeight()).isEqualTo(1.0);
            assertThat(pairs.get(0).getConflicts()).isZero();
            assertThat(pairs.get(1).getConflicts()).isEqualTo(3);
            assertThat(pairs.get(1).getWeight()).isCloseTo(0.25, within(1e-12));
            assertThat(pairs.get(3).getConflicts()).isEqualTo(1);
            assertThat(pairs.get(3).getWeight()).isEqualTo(0.5);
            assertThat(driver.counters().get("conflicts")).isEqualTo(2);
            assertThat(driver.counters().get("duplicates")).isEqualTo(4);
        }
    }

    @Test
    void aPairIsForgottenAfterTheRetentionAndOutOfOrderDuplicatesWithinItAreDropped() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of("ingest.dedup.retention", "P7D"))) {
            PreferenceEvent e = comparison("r1", "q", "good", "bad", ComparisonOutcome.A);
            driver.pipe(at(e, T0.plus(Duration.ofDays(3))));
            driver.pipe(at(PreferenceEvent.newBuilder(e).setEventId("r2").build(), T0));                       // earlier event time, later arrival
            driver.pipe(at(PreferenceEvent.newBuilder(e).setEventId("r3").build(), T0.plus(Duration.ofDays(9)))); // 6 days after the first: still a duplicate
            driver.pipe(at(PreferenceEvent.newBuilder(e).setEventId("r4").build(), T0.plus(Duration.ofDays(11)))); // 8 days after: forgotten
            assertThat(driver.pairs()).extracting(p -> p.getEventIds().get(0)).containsExactly("r1", "r4");
            assertThat(driver.counters().get("duplicates")).isEqualTo(2);
        }
    }

}
