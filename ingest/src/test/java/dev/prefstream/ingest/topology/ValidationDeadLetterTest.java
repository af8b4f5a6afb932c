package dev.prefstream.ingest.topology;

import dev.prefstream.schemas.DeadLetterHeaders;
import dev.prefstream.ingest.Events;
import dev.prefstream.ingest.validate.RejectReason;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.Feedback;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Ranking;
import dev.prefstream.schemas.avro.Rating;
import dev.prefstream.schemas.avro.Response;
import dev.prefstream.schemas.avro.ResponseScore;
import dev.prefstream.schemas.avro.Thumb;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import static dev.prefstream.ingest.Events.T0;
import static dev.prefstream.ingest.Events.comparison;
import static dev.prefstream.ingest.Events.rating;
import static org.assertj.core.api.Assertions.assertThat;

/** Every validation rule: the event goes to the DLQ with its original bytes, reason and source coordinates, and the app goes on. */
class ValidationDeadLetterTest {

    @TempDir
    Path stateDir;

    private static PreferenceEvent valid() {
        return comparison("bad-1", "Why is the sky blue?", "Rayleigh scattering.", "Because it is.", ComparisonOutcome.A);
    }

    private static Arguments rule(RejectReason reason, UnaryOperator<PreferenceEvent.Builder> mutation) {
        return Arguments.of(reason, mutation);
    }

    static Stream<Arguments> invalidEvents() {
        return Stream.of(
                rule(RejectReason.MISSING_EVENT_ID, b -> b.setEventId(" ")),
                rule(RejectReason.INVALID_TIMESTAMP, b -> b.setOccurredAt(Instant.EPOCH)),
                rule(RejectReason.NO_PROMPT, b -> b.setPrompt(List.of())),
                rule(RejectReason.NO_PROMPT, b -> b.setPrompt(List.of(new ChatMessage("user", " \n\t ")))),
                rule(RejectReason.TOO_FEW_RESPONSES, b -> b.setResponses(List.of())),
                rule(RejectReason.EMPTY_TEXT, b -> b.setResponses(Events.responses("fine", "   "))),
                rule(RejectReason.TEXT_TOO_LONG, b -> b.setResponses(Events.responses("fine", "x".repeat(201)))),
                rule(RejectReason.TEXT_TOO_LONG, b -> b.setPrompt(List.of(new ChatMessage("user", "y".repeat(201))))),
                rule(RejectReason.TEXT_TOO_LONG, b -> b.setPrompt(List.of(new ChatMessage("system", "y".repeat(200)),
                        new ChatMessage("user", "y".repeat(200)), new ChatMessage("user", "y".repeat(200))))),
                rule(RejectReason.TOO_MANY_RESPONSES, b -> b.setResponses(Events.responses("a", "b", "c", "d", "e"))),
                rule(RejectReason.MISSING_RESPONSE_ID, b -> b.setResponses(List.of(new Response("", "a", null), new Response("r1", "b", null)))),
                rule(RejectReason.DUPLICATE_RESPONSE_ID, b -> b.setResponses(List.of(new Response("r0", "a", null), new Response("r0", "b", null)))),
                rule(RejectReason.UNKNOWN_RESPONSE_ID, b -> b.setJudgement(new Comparison("r0", "r9", ComparisonOutcome.A, null))),
                rule(RejectReason.SELF_COMPARISON, b -> b.setJudgement(new Comparison("r0", "r0", ComparisonOutcome.A, null))),
                rule(RejectReason.INVALID_SCORE, b -> b.setJudgement(new Comparison("r0", "r1", ComparisonOutcome.A, 1.5))),
                rule(RejectReason.UNKNOWN_RESPONSE_ID, b -> b.setJudgement(new Ranking(List.of(List.of("r0"), List.of("nope"))))),
                rule(RejectReason.INVALID_RANKING, b -> b.setJudgement(new Ranking(List.of(List.of("r0"), List.of())))),
                rule(RejectReason.INVALID_RANKING, b -> b.setJudgement(new Ranking(List.of(List.of("r0"), List.of("r0", "r1"))))),
                rule(RejectReason.TOO_FEW_RESPONSES, b -> b.setJudgement(new Ranking(List.of(List.of("r0"))))),
                rule(RejectReason.INVALID_SCALE, b -> b.setJudgement(new Rating(5.0, 1.0, scores(2.0, 3.0)))),
                rule(RejectReason.INVALID_SCALE, b -> b.setJudgement(new Rating(1.0, Double.POSITIVE_INFINITY, scores(2.0, 3.0)))),
                rule(RejectReason.INVALID_SCORE, b -> b.setJudgement(new Rating(1.0, 5.0, scores(Double.NaN, 3.0)))),
                rule(RejectReason.INVALID_SCORE, b -> b.setJudgement(new Rating(1.0, 5.0, scores(Double.NEGATIVE_INFINITY, 3.0)))),
                rule(RejectReason.INVALID_SCORE, b -> b.setJudgement(new Rating(1.0, 5.0, scores(7.0, 3.0)))),
                rule(RejectReason.INVALID_SCORE, b -> b.setJudgement(new Rating(1.0, 5.0, List.of(
                        new ResponseScore("r0", null, Map.of("honesty", 9.0)), new ResponseScore("r1", 2.0, Map.of()))))),
                rule(RejectReason.MISSING_SCORE, b -> b.setJudgement(new Rating(1.0, 5.0, List.of(
                        new ResponseScore("r0", null, Map.of()), new ResponseScore("r1", 2.0, Map.of()))))),
                rule(RejectReason.TOO_FEW_RESPONSES, b -> b.setJudgement(new Rating(1.0, 5.0, List.of(new ResponseScore("r0", 2.0, Map.of()))))),
                rule(RejectReason.UNKNOWN_RESPONSE_ID, b -> b.setJudgement(new Feedback("r7", Thumb.UP))),
                rule(RejectReason.INVALID_WEIGHT, b -> b.setWeight(Double.NaN)),
                rule(RejectReason.INVALID_WEIGHT, b -> b.setWeight(-1.0)),
                rule(RejectReason.INVALID_WEIGHT, b -> b.setConfidence(1.2)));
    }

    private static List<ResponseScore> scores(double a, double b) {
        return List.of(new ResponseScore("r0", a, Map.of()), new ResponseScore("r1", b, Map.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidEvents")
    void invalidEventIsDeadLetteredWithOriginalBytesAndTheAppGoesOn(RejectReason reason, UnaryOperator<PreferenceEvent.Builder> mutation) {
        Map<String, Object> limits = Map.of("ingest.limits.max-text-chars", 200, "ingest.limits.max-prompt-chars", 500, "ingest.limits.max-responses", 4);
        try (IngestDriver driver = new IngestDriver(stateDir, limits)) {
            PreferenceEvent bad = mutation.apply(PreferenceEvent.newBuilder(valid())).build();
            byte[] original = driver.pipe(bad);
            driver.pipe(comparison("good-1", "Next question", "yes", "no", ComparisonOutcome.A));

            List<TestRecord<byte[], byte[]>> dlq = driver.dlq();
            assertThat(dlq).hasSize(1);
            TestRecord<byte[], byte[]> dead = dlq.get(0);
            assertThat(dead.value()).isEqualTo(original);
            assertThat(new String(dead.key(), StandardCharsets.UTF_8)).isEqualTo(bad.getEventId());
            assertThat(IngestDriver.header(dead, DeadLetterHeaders.REASON)).isEqualTo(reason.code());
            assertThat(IngestDriver.header(dead, DeadLetterHeaders.MESSAGE)).isNotBlank();
            assertThat(IngestDriver.header(dead, DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo("preference-events");
            assertThat(IngestDriver.header(dead, DeadLetterHeaders.SOURCE_PARTITION)).isEqualTo("0");
            assertThat(IngestDriver.header(dead, DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("0");
            assertThat(IngestDriver.header(dead, DeadLetterHeaders.STAGE)).isEqualTo("validate");
            // the next, valid event is processed normally
            assertThat(driver.pairs()).extracting(p -> p.getEventIds().get(0)).containsExactly("good-1");
            assertThat(driver.counters().get("dlq{reason=" + reason.code() + "}")).isEqualTo(1);
        }
    }

    /**
     * Runs at-least-once: under exactly-once, TopologyTestDriver drops the records a deserialization handler
     * sends (they are sent while no record is being processed and never reach its mock producer's history).
     * {@code IngestIntegrationTest} checks the same path under exactly-once on a real broker.
     */
    @Test
    void bytesThatAreNotWireFormatAndUnknownSchemaIdsAreDeadLetteredByTheDeserializationHandler() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of("processing.guarantee", "at_least_once"))) {
            byte[] garbage = "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8);
            byte[] unknownId = ByteBuffer.allocate(9).put((byte) 0).putInt(424242).putInt(7).array();
            byte[] truncated = java.util.Arrays.copyOf(driver.encode(valid()), 12);
            driver.pipeRaw("k1".getBytes(StandardCharsets.UTF_8), garbage, T0);
            driver.pipeRaw("k2".getBytes(StandardCharsets.UTF_8), unknownId, T0);
            driver.pipeRaw("k3".getBytes(StandardCharsets.UTF_8), truncated, T0);
            driver.pipe(valid());

            List<TestRecord<byte[], byte[]>> dlq = driver.dlq();
            assertThat(dlq).extracting(r -> IngestDriver.header(r, DeadLetterHeaders.REASON))
                    .containsExactly("not_wire_format", "unknown_schema_id", "undeserializable");
            assertThat(dlq).extracting(TestRecord::value).containsExactly(garbage, unknownId, truncated);
            assertThat(dlq).extracting(r -> IngestDriver.header(r, DeadLetterHeaders.SOURCE_OFFSET)).containsExactly("0", "1", "2");
            assertThat(dlq).extracting(r -> IngestDriver.header(r, DeadLetterHeaders.STAGE)).containsOnly("deserialize");
            assertThat(IngestDriver.header(dlq.get(1), DeadLetterHeaders.MESSAGE)).contains("424242");
            assertThat(driver.pairs()).hasSize(1);
            assertThat(driver.counters().sum("dlq")).isEqualTo(3);
            assertThat(driver.counters().get("dlq{reason=not_wire_format}")).isEqualTo(1);
            assertThat(driver.counters().get("dlq{reason=unknown_schema_id}")).isEqualTo(1);
        }
    }

    @Test
    void tombstoneIsDeadLettered() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            driver.pipeRaw("k".getBytes(StandardCharsets.UTF_8), null, T0);
            List<TestRecord<byte[], byte[]>> dlq = driver.dlq();
            assertThat(dlq).hasSize(1);
            assertThat(IngestDriver.header(dlq.get(0), DeadLetterHeaders.REASON)).isEqualTo("tombstone");
        }
    }

    @Test
    void degenerateComparisonIsDeadLetteredWithSourceCoordinates() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            driver.pipe(valid());
            PreferenceEvent same = comparison("deg-1", "Say hi", "Hello  there!", "Hello there!\n", ComparisonOutcome.A);
            byte[] bytes = driver.pipe(same);

            List<TestRecord<byte[], byte[]>> dlq = driver.dlq();
            assertThat(dlq).hasSize(1);
            assertThat(IngestDriver.header(dlq.get(0), DeadLetterHeaders.REASON)).isEqualTo("degenerate_pair");
            assertThat(IngestDriver.header(dlq.get(0), DeadLetterHeaders.STAGE)).isEqualTo("binarize");
            assertThat(IngestDriver.header(dlq.get(0), DeadLetterHeaders.SOURCE_TOPIC)).isEqualTo("preference-events");
            assertThat(IngestDriver.header(dlq.get(0), DeadLetterHeaders.SOURCE_OFFSET)).isEqualTo("1");
            assertThat(driver.decode(dlq.get(0).value())).isEqualTo(driver.decode(bytes));
            // the repartition carries the input's own bytes, so stage 2 dead-letters exactly what was produced
            assertThat(dlq.get(0).value()).isEqualTo(bytes);
            assertThat(driver.pairs()).hasSize(1);
        }
    }

    @Test
    void rankingWithTwoEqualTextsEmitsItsGoodPairsAndDeadLettersTheDegenerateOne() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of("ingest.ranking.strategy", "ALL_PAIRS"))) {
            driver.pipe(Events.ranking("rk-1", "Pick one", List.of(List.of(0), List.of(1), List.of(2)), "great", "meh", "  meh "));

            // great>meh and great>"  meh " are one pair after normalization: the second is a duplicate
            assertThat(driver.pairs()).extracting(p -> p.getChosen() + ">" + p.getRejected()).containsExactly("great>meh");
            assertThat(driver.counters().get("duplicates")).isEqualTo(1);
            List<TestRecord<byte[], byte[]>> dlq = driver.dlq();
            assertThat(dlq).hasSize(1);
            assertThat(IngestDriver.header(dlq.get(0), DeadLetterHeaders.MESSAGE)).contains("r1>r2");
        }
    }

    @Test
    void ratingOnAScaleIsValidatedAgainstThatScale() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            driver.pipe(rating("ok", "p", new double[]{5, 1}, "a", "b"));
            assertThat(driver.dlq()).isEmpty();
            assertThat(driver.pairs()).hasSize(1);
        }
    }
}
