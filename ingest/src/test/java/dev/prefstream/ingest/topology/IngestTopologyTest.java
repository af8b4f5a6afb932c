package dev.prefstream.ingest.topology;

import dev.prefstream.schemas.DeadLetterHeaders;
import dev.prefstream.ingest.canonical.ContentHash;
import dev.prefstream.ingest.metrics.IngestCounters;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.JudgementKind;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static dev.prefstream.ingest.Events.comparison;
import static dev.prefstream.ingest.Events.prompt;
import static org.assertj.core.api.Assertions.assertThat;

/** The shape of the production topology and the comparison path end to end. */
class IngestTopologyTest {

    @TempDir
    Path stateDir;

    @Test
    void comparisonBecomesOnePairKeyedByPairId() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            PreferenceEvent event = comparison("e1", "What is 2+2?", "4", "5", ComparisonOutcome.A);
            driver.pipe(event);

            List<TestRecord<String, PreferencePair>> out = driver.pairRecords();
            assertThat(out).hasSize(1);
            PreferencePair pair = out.get(0).value();
            String promptId = ContentHash.promptId(prompt("What is 2+2?"));
            assertThat(out.get(0).key()).isEqualTo(pair.getPairId());
            assertThat(pair.getPairId()).isEqualTo(ContentHash.pairId(promptId, "4", "5"));
            assertThat(pair.getPromptId()).isEqualTo(promptId);
            assertThat(pair.getChosen()).isEqualTo("4");
            assertThat(pair.getRejected()).isEqualTo("5");
            assertThat(pair.getChosenModelVersion()).isEqualTo("v0");
            assertThat(pair.getRejectedModelVersion()).isEqualTo("v1");
            assertThat(pair.getScoreMargin()).isEqualTo(1.0);
            assertThat(pair.getWeight()).isEqualTo(1.0);
            assertThat(pair.getConflicts()).isZero();
            assertThat(pair.getSource()).isEqualTo(FeedbackSource.HUMAN);
            assertThat(pair.getKind()).isEqualTo(JudgementKind.COMPARISON);
            assertThat(pair.getEventIds()).containsExactly("e1");
            assertThat(pair.getCreatedAt()).isEqualTo(event.getOccurredAt());
            assertThat(IngestDriver.header(out.get(0), DeadLetterHeaders.ORIGIN_TOPIC)).isEqualTo("preference-events");
            assertThat(driver.dlq()).isEmpty();

            IngestCounters counters = driver.counters();
            assertThat(counters.get("events-in{kind=comparison}")).isEqualTo(1);
            assertThat(counters.get("pairs-out{kind=comparison}")).isEqualTo(1);
        }
    }

    @Test
    void outcomeBPrefersTheSecondResponseAndTieGivesNoPair() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            driver.pipe(comparison("e1", "q", "first", "second", ComparisonOutcome.B));
            driver.pipe(comparison("e2", "q2", "first", "second", ComparisonOutcome.TIE));

            List<PreferencePair> pairs = driver.pairs();
            assertThat(pairs).extracting(PreferencePair::getChosen, PreferencePair::getRejected)
                    .containsExactly(org.assertj.core.groups.Tuple.tuple("second", "first"));
            assertThat(driver.counters().get("dropped{kind=comparison,reason=tie}")).isEqualTo(1);
            assertThat(driver.dlq()).isEmpty();
        }
    }

    @Test
    void topologyRepartitionsOnceByPromptAndDedupsWithoutASecondRepartition() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            TopologyDescription description = dev.prefstream.ingest.topology.IngestTopology.build(driver.config()).describe();
            Set<String> sinks = new TreeSet<>();
            description.subtopologies().forEach(s -> s.nodes().forEach(n -> {
                if (n instanceof TopologyDescription.Sink sink) {
                    sinks.add(sink.topic());
                }
            }));
            assertThat(description.subtopologies()).hasSize(2);
            assertThat(sinks).containsExactlyInAnyOrder("events-by-prompt-repartition", "preference-pairs");
            assertThat(description.toString()).contains("stores: [feedback-votes]").contains("stores: [seen-pairs]");
        }
    }

    static String utf8(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
