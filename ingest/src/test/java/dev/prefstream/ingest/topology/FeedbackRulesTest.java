package dev.prefstream.ingest.topology;

import dev.prefstream.schemas.DeadLetterHeaders;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.JudgementKind;
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
import static dev.prefstream.ingest.Events.thumbs;
import static dev.prefstream.schemas.avro.Thumb.DOWN;
import static dev.prefstream.schemas.avro.Thumb.UP;
import static org.assertj.core.api.Assertions.assertThat;

/** Thumbs votes on different responses, arriving separately, paired through the per-prompt vote store. */
class FeedbackRulesTest {

    private static final String PROMPT = "Write a haiku about Kafka";

    @TempDir
    Path stateDir;

    private static Instant at(int minutes) {
        return T0.plus(Duration.ofMinutes(minutes));
    }

    private static List<String> labels(List<PreferencePair> pairs) {
        return pairs.stream().map(p -> p.getChosen() + ">" + p.getRejected()).toList();
    }

    @Test
    void upAndDownOnDifferentResponsesFromDifferentUsersPairAsSoonAsBothExist() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            driver.pipe(thumbs("f1", "alice", PROMPT, "resp-a", "Logs flow like rivers", UP, at(0)));
            assertThat(driver.pairs()).isEmpty();
            driver.pipe(thumbs("f2", "bob", "  Write a haiku   about Kafka\n", "resp-b", "Kafka is a broker", DOWN, at(7)));

            List<PreferencePair> pairs = driver.pairs();
            assertThat(labels(pairs)).containsExactly("Logs flow like rivers>Kafka is a broker");
            PreferencePair pair = pairs.get(0);
            assertThat(pair.getKind()).isEqualTo(JudgementKind.FEEDBACK);
            assertThat(pair.getEventIds()).containsExactly("f1", "f2");
            assertThat(pair.getScoreMargin()).isEqualTo(1.0);
            assertThat(pair.getSource()).isEqualTo(FeedbackSource.HUMAN);
            assertThat(pair.getCreatedAt()).isEqualTo(at(7));
            assertThat(driver.counters().get("feedback-votes-stored")).isEqualTo(2);
            assertThat(driver.counters().get("feedback-votes-unpaired")).isEqualTo(1);
        }
    }

    @Test
    void eachUpDownCombinationIsEmittedOnceWhateverTheArrivalOrder() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            // arrival order differs from event time: the down votes arrive first, one of them "from the future"
            driver.pipe(thumbs("d1", "u1", PROMPT, "r-bad1", "bad one", DOWN, at(30)));
            driver.pipe(thumbs("d2", "u2", PROMPT, "r-bad2", "bad two", DOWN, at(5)));
            driver.pipe(thumbs("u1", "u3", PROMPT, "r-good", "good one", UP, at(10)));
            driver.pipe(thumbs("u2", "u4", PROMPT, "r-good2", "good two", UP, at(1)));

            assertThat(labels(driver.pairs())).containsExactlyInAnyOrder(
                    "good one>bad one", "good one>bad two", "good two>bad one", "good two>bad two");
        }
    }

    @Test
    void aLaterVoteBySameAnnotatorOnSameResponseReplacesTheEarlierOne() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            driver.pipe(thumbs("v1", "alice", PROMPT, "r1", "first answer", UP, at(0)));
            driver.pipe(thumbs("v2", "alice", PROMPT, "r1", "first answer", DOWN, at(3)));   // alice changes her mind
            driver.pipe(thumbs("v3", "bob", PROMPT, "r2", "second answer", DOWN, at(4)));

            // alice's UP no longer counts: r1 and r2 are both DOWN, nothing to pair
            assertThat(driver.pairs()).isEmpty();
            driver.pipe(thumbs("v4", "carol", PROMPT, "r3", "third answer", UP, at(5)));
            assertThat(labels(driver.pairs())).containsExactly("third answer>first answer", "third answer>second answer");
        }
    }

    @Test
    void anOlderVoteArrivingLateIsSupersededByTheNewerOneAlreadyStored() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            driver.pipe(thumbs("new", "alice", PROMPT, "r1", "answer one", DOWN, at(10)));
            driver.pipe(thumbs("old", "alice", PROMPT, "r1", "answer one", UP, at(2)));      // late, superseded
            driver.pipe(thumbs("x", "bob", PROMPT, "r2", "answer two", DOWN, at(11)));
            assertThat(driver.pairs()).isEmpty();
            assertThat(driver.counters().get("dropped{kind=feedback,reason=superseded_vote}")).isEqualTo(1);

            driver.pipe(thumbs("new", "alice", PROMPT, "r1", "answer one", DOWN, at(10)));   // replayed event
            assertThat(driver.counters().get("dropped{kind=feedback,reason=replayed_vote}")).isEqualTo(1);
        }
    }

    @Test
    void votesFurtherApartThanTheWindowDoNotPairAndExpireFromTheStore() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of("ingest.feedback.window", "PT1H"))) {
            driver.pipe(thumbs("a", "alice", PROMPT, "r1", "early answer", UP, at(0)));
            driver.pipe(thumbs("b", "bob", PROMPT, "r2", "late answer", DOWN, at(61)));      // 61 min later: outside
            assertThat(driver.pairs()).isEmpty();
            driver.pipe(thumbs("c", "carol", PROMPT, "r3", "timely answer", DOWN, at(59)));  // 59 min: inside
            assertThat(labels(driver.pairs())).containsExactly("early answer>timely answer");

            // stream time moves far ahead: the old votes leave the store (retention 2 windows)
            driver.pipe(thumbs("z", "zed", "another prompt", "q1", "whatever", UP, at(600)));
            driver.pipe(thumbs("d", "dave", PROMPT, "r4", "very late answer", UP, at(60)));    // too old for the store
            driver.pipe(thumbs("e", "erin", PROMPT, "r5", "newest answer", UP, at(599)));
            driver.pipe(thumbs("f", "fay", PROMPT, "r6", "newest bad answer", DOWN, at(600)));
            assertThat(labels(driver.pairs())).containsExactly("newest answer>newest bad answer");
            assertThat(driver.driver().getWindowStore(IngestTopology.VOTE_STORE)
                    .fetch(dev.prefstream.ingest.canonical.ContentHash.promptId(dev.prefstream.ingest.Events.prompt(PROMPT)), 0L, at(200).toEpochMilli())
                    .hasNext()).isFalse();
        }
    }

    @Test
    void votesOfDifferentTenantsNeverPair() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            PreferenceEvent up = PreferenceEvent.newBuilder(thumbs("t1", "alice", PROMPT, "r1", "one", UP, at(0))).setTenant("acme").build();
            PreferenceEvent down = PreferenceEvent.newBuilder(thumbs("t2", "bob", PROMPT, "r2", "two", DOWN, at(1))).setTenant("globex").build();
            driver.pipe(up);
            driver.pipe(down);
            assertThat(driver.pairs()).isEmpty();
        }
    }

    @Test
    void upAndDownOnTwoResponsesWithTheSameTextIsADegeneratePairInTheDlq() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of())) {
            driver.pipe(thumbs("s1", "alice", PROMPT, "r1", "Same text", UP, at(0)));
            driver.pipe(thumbs("s2", "bob", PROMPT, "r2", "same  text".replace("same", "Same"), DOWN, at(1)));
            driver.pipe(thumbs("s3", "carol", PROMPT, "r3", "other text", DOWN, at(2)));

            assertThat(labels(driver.pairs())).containsExactly("Same text>other text");
            var dlq = driver.dlq();
            assertThat(dlq).hasSize(1);
            assertThat(IngestDriver.header(dlq.get(0), DeadLetterHeaders.REASON)).isEqualTo("degenerate_pair");
            assertThat(driver.decode(dlq.get(0).value()).getEventId()).isEqualTo("s2");
        }
    }

    @Test
    void mixedHumanAndAiJudgeVotesGiveAnAiJudgePairWithTheSmallerWeight() {
        try (IngestDriver driver = new IngestDriver(stateDir, Map.of("ingest.ai-judge.weight", "0.25"))) {
            driver.pipe(PreferenceEvent.newBuilder(thumbs("h", "alice", PROMPT, "r1", "one", UP, at(0))).setWeight(2.0).build());
            driver.pipe(PreferenceEvent.newBuilder(thumbs("j", "judge", PROMPT, "r2", "two", DOWN, at(1))).setSource(FeedbackSource.AI_JUDGE).build());
            List<PreferencePair> pairs = driver.pairs();
            assertThat(pairs).hasSize(1);
            assertThat(pairs.get(0).getSource()).isEqualTo(FeedbackSource.AI_JUDGE);
            assertThat(pairs.get(0).getWeight()).isEqualTo(0.25);
        }
    }
}
