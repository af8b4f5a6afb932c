package dev.prefstream.ingest.topology;

import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.PreferencePair;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static dev.prefstream.ingest.Events.T0;
import static dev.prefstream.ingest.Events.comparison;
import static dev.prefstream.ingest.Events.thumbs;
import static dev.prefstream.schemas.avro.Thumb.DOWN;
import static dev.prefstream.schemas.avro.Thumb.UP;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dedup store and the vote store survive a restart of the TopologyTestDriver over the same state dir, on the
 * production topology and the production Streams properties, exactly_once_v2 included.
 *
 * <p>What is simulated: a clean stop of the app ({@link IngestDriver#closeKeepingState()}: commit, stores flushed,
 * their committed changelog offsets recorded, stores closed, exactly as {@link TopologyTestDriver#close()} does it),
 * then a new driver (new task, new RocksDB instances, new metrics, same state dir and registry scope) that opens the
 * stores from the files on disk. The one step of {@code TopologyTestDriver.close()} that KafkaStreams does not take,
 * deleting the task directories, is diverted. What is not simulated: a crash (no committed offsets, so under
 * exactly-once Streams wipes the stores and restores them from the changelog) and any restore from changelog topics,
 * which the driver does not have. A real restart against a broker, changelogs included, is IngestIntegrationTest's.
 *
 * <p>Streams 4.3 keeps each persistent store's committed changelog offset inside the store (in each window segment).
 * Under exactly-once a store without one, next to stores that have data, makes the task "corrupted" at start: a real
 * app wipes the task and restores it from the changelogs, the driver throws TaskCorruptedException from its
 * constructor. A window store that has never been written has no segment to hold an offset, so each test writes to
 * both stores (a vote and a pair) before the restart.
 *
 * <p>Each test also runs the same sequence with a plain {@code close()} as a control: there the state is gone,
 * which shows the outcome after the restart comes from the state on disk and from nothing else.
 */
class DriverRestartTest {

    private static final String PROMPT = "Write a haiku about Kafka";

    @TempDir
    Path stateDir;

    /** One registry scope for every run, as a restarted service finds its registry again. */
    private final String registryUrl = "mock://ingest-restart-" + UUID.randomUUID();

    private IngestDriver start(Path dir) {
        IngestDriver driver = new IngestDriver(dir, registryUrl, Map.of());
        assertThat(driver.streamsProperties().get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        return driver;
    }

    @Test
    void aPairSeenBeforeTheRestartIsDroppedAsDuplicateAfterIt() throws IOException {
        Path wiped = Files.createDirectory(stateDir.resolve("control"));
        Path kept = Files.createDirectory(stateDir.resolve("kept"));
        for (Path dir : List.of(kept, wiped)) {
            try (IngestDriver before = start(dir)) {
                before.pipe(comparison("c1", "Capital of France?", "Paris.", "Lyon.", ComparisonOutcome.A));
                // a lone vote, so the vote store has data and a committed offset too (class comment)
                before.pipe(thumbs("f0", "zoe", "Another prompt", "z1", "unrelated", UP, T0));
                assertThat(labels(before.pairs())).containsExactly("Paris.>Lyon.");
                assertThat(before.counters().get("duplicates")).isZero();
                if (dir.equals(kept)) {
                    before.closeKeepingState();
                }
            }
        }

        try (IngestDriver after = start(kept)) {
            // the same judgement from another event, spaced differently
            after.pipe(comparison("c2", "Capital  of France?\n", " Paris. ", "Lyon.", ComparisonOutcome.A));
            assertThat(after.pairs()).isEmpty();
            assertThat(after.dlq()).isEmpty();
            assertThat(after.counters().get("duplicates")).isEqualTo(1);
            assertThat(after.counters().get("dropped{kind=comparison,reason=duplicate}")).isEqualTo(1);
            assertThat(after.counters().sum("pairs-out")).isZero();

            // a pair never seen still goes through the restarted driver
            after.pipe(comparison("c3", "Capital of Italy?", "Rome.", "Milan.", ComparisonOutcome.A));
            assertThat(labels(after.pairs())).containsExactly("Rome.>Milan.");
            assertThat(after.counters().sum("pairs-out")).isEqualTo(1);
        }

        // control: a plain close() wiped the state dir, so the same pair is new again
        try (IngestDriver after = start(wiped)) {
            after.pipe(comparison("c2", "Capital  of France?\n", " Paris. ", "Lyon.", ComparisonOutcome.A));
            assertThat(after.pairs()).extracting(p -> p.getEventIds().get(0)).containsExactly("c2");
            assertThat(after.counters().get("duplicates")).isZero();
        }
    }

    @Test
    void aThumbsUpBeforeTheRestartPairsWithAThumbsDownAfterIt() throws IOException {
        Path wiped = Files.createDirectory(stateDir.resolve("control"));
        Path kept = Files.createDirectory(stateDir.resolve("kept"));
        for (Path dir : List.of(kept, wiped)) {
            try (IngestDriver before = start(dir)) {
                before.pipe(thumbs("f1", "alice", PROMPT, "resp-a", "Logs flow like rivers", UP, T0));
                // an unrelated pair, so the dedup store has data and a committed offset too (class comment)
                before.pipe(comparison("c0", "Unrelated?", "yes", "no", ComparisonOutcome.A));
                assertThat(labels(before.pairs())).containsExactly("yes>no");
                assertThat(before.counters().get("feedback-votes-stored")).isEqualTo(1);
                assertThat(before.counters().get("feedback-votes-unpaired")).isEqualTo(1);
                if (dir.equals(kept)) {
                    before.closeKeepingState();
                }
            }
        }

        try (IngestDriver after = start(kept)) {
            after.pipe(thumbs("f2", "bob", "  Write a haiku   about Kafka\n", "resp-b", "Kafka is a broker", DOWN,
                    T0.plus(Duration.ofMinutes(7))));
            List<PreferencePair> pairs = after.pairs();
            assertThat(labels(pairs)).containsExactly("Logs flow like rivers>Kafka is a broker");
            assertThat(pairs.get(0).getEventIds()).containsExactly("f1", "f2");
            assertThat(pairs.get(0).getCreatedAt()).isEqualTo(T0.plus(Duration.ofMinutes(7)));
            assertThat(after.dlq()).isEmpty();
            assertThat(after.counters().sum("pairs-out")).isEqualTo(1);
            assertThat(after.counters().get("feedback-votes-stored")).isEqualTo(1);
            assertThat(after.counters().get("feedback-votes-unpaired")).isZero();
        }

        // control: a plain close() wiped the up vote, so the down vote finds no partner
        try (IngestDriver after = start(wiped)) {
            after.pipe(thumbs("f2", "bob", PROMPT, "resp-b", "Kafka is a broker", DOWN, T0.plus(Duration.ofMinutes(7))));
            assertThat(after.pairs()).isEmpty();
            assertThat(after.counters().get("feedback-votes-unpaired")).isEqualTo(1);
        }
    }

    private static List<String> labels(List<PreferencePair> pairs) {
        return pairs.stream().map(p -> p.getChosen() + ">" + p.getRejected()).toList();
    }
}
