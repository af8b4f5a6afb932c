package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.Events;
import dev.prefstream.ingest.binarize.Binarization;
import dev.prefstream.ingest.binarize.CandidatePair;
import dev.prefstream.ingest.binarize.EventBinarizer;
import dev.prefstream.ingest.canonical.ContentHash;
import dev.prefstream.ingest.canonical.TextNormalizer;
import dev.prefstream.ingest.metrics.IngestCounters;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.Feedback;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.avro.Ranking;
import dev.prefstream.schemas.avro.Rating;
import dev.prefstream.schemas.avro.Response;
import dev.prefstream.schemas.avro.ResponseScore;
import dev.prefstream.schemas.avro.Thumb;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.ShrinkingMode;
import net.jqwik.api.constraints.Size;
import org.apache.kafka.streams.test.TestRecord;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Properties of the production topology over random event streams (all kinds, small pools of prompts and texts
 * so that duplicates, conflicts, ties, degenerate pairs and invalid events are frequent):
 * <ol>
 *   <li>no pair is emitted twice;</li>
 *   <li>every emitted pair's chosen really outranks its rejected in some input event (or, for thumbs, an UP on
 *       the chosen and a DOWN on the rejected);</li>
 *   <li>every input event is reflected in an output pair, or counted (tie, below margin, duplicate, superseded or
 *       replayed vote, vote waiting for a partner), or dead-lettered - and the counters add up to the input.</li>
 * </ol>
 */
class IngestPropertiesTest {

    private static final List<String> PROMPTS = List.of("p0", "p1", "p2");
    private static final List<String> TEXTS = List.of("alpha", "beta", "gamma", " alpha ", "delta");

    @Property(tries = 25, shrinking = ShrinkingMode.BOUNDED)
    void pairsAreUniqueJustifiedAndEveryEventIsAccountedFor(@ForAll("streams") @Size(min = 1, max = 40) List<PreferenceEvent> stream) {
        Path state = tempDir();
        try (IngestDriver driver = new IngestDriver(state, Map.of("ingest.ranking.strategy", "ALL_PAIRS", "ingest.rating.pairing", "ALL_PAIRS"))) {
            for (PreferenceEvent event : stream) {
                driver.pipe(event);
            }
            List<TestRecord<String, PreferencePair>> out = driver.pairRecords();
            List<TestRecord<byte[], byte[]>> dlq = driver.dlq();
            IngestCounters c = driver.counters();

            // 1. no pair twice
            Set<String> ids = new HashSet<>();
            for (TestRecord<String, PreferencePair> r : out) {
                assertThat(ids.add(r.value().getPairId())).as("pair %s emitted twice", r.value().getPairId()).isTrue();
            }

            // 2. every pair is justified by the inputs
            for (TestRecord<String, PreferencePair> r : out) {
                PreferencePair pair = r.value();
                assertThat(justifies(stream, pair)).as("no input justifies %s > %s (events %s)",
                        pair.getChosen(), pair.getRejected(), pair.getEventIds()).isTrue();
            }

            // 3. every event is reflected, counted or dead-lettered
            Set<String> reflected = new HashSet<>();
            out.forEach(r -> reflected.addAll(r.value().getEventIds()));
            Set<String> deadLettered = new HashSet<>();
            for (TestRecord<byte[], byte[]> d : dlq) {
                deadLettered.add(driver.decode(d.value()).getEventId());
            }
            assertThat((long) dlq.size()).isEqualTo(c.sum("dlq"));
            assertThat(c.sum("events-in")).isEqualTo(stream.size());
            EventBinarizer binarizer = new EventBinarizer(driver.config());
            long withoutPairs = 0;
            long feedbackNotReflected = 0;
            for (PreferenceEvent event : stream) {
                if (reflected.contains(event.getEventId()) || deadLettered.contains(event.getEventId())) {
                    continue;
                }
                if (event.getJudgement() instanceof Feedback) {
                    feedbackNotReflected++;
                    continue;
                }
                Binarization b = binarizer.binarize(event);
                if (b.pairs().isEmpty()) {
                    withoutPairs++;     // a tie or below the margin: must be counted as such
                    continue;
                }
                // otherwise every pair it yields was emitted already for another event: counted as duplicates
                String promptId = ContentHash.promptId(event.getPrompt());
                for (CandidatePair candidate : b.pairs()) {
                    assertThat(ids).as("event %s vanished: its pair %s > %s was neither emitted nor dead-lettered",
                            event.getEventId(), candidate.chosen().getText(), candidate.rejected().getText())
                            .contains(ContentHash.pairId(promptId, candidate.chosen().getText(), candidate.rejected().getText()));
                }
            }
            long tiesAndMargins = 0;
            for (String kind : List.of("comparison", "ranking", "rating")) {
                tiesAndMargins += c.get("dropped{kind=" + kind + ",reason=tie}") + c.get("dropped{kind=" + kind + ",reason=below_min_margin}");
            }
            assertThat(tiesAndMargins).isEqualTo(withoutPairs);
            // a thumbs vote in no pair was replayed, superseded, is waiting for a partner, or paired only into duplicates
            assertThat(feedbackNotReflected).isLessThanOrEqualTo(c.get("dropped{kind=feedback,reason=replayed_vote}")
                    + c.get("dropped{kind=feedback,reason=superseded_vote}") + c.get("feedback-votes-unpaired")
                    + c.get("dropped{kind=feedback,reason=duplicate}"));
        } finally {
            delete(state);
        }
    }

    /** True when some input says {@code pair.chosen} beats {@code pair.rejected} for its prompt. */
    private static boolean justifies(List<PreferenceEvent> stream, PreferencePair pair) {
        String chosen = TextNormalizer.normalize(pair.getChosen());
        String rejected = TextNormalizer.normalize(pair.getRejected());
        boolean up = false;
        boolean down = false;
        for (PreferenceEvent e : stream) {
            if (!e.getPrompt().equals(pair.getPrompt()) && !sameUserText(e, pair)) {
                continue;
            }
            Map<String, String> text = new HashMap<>();
            for (Response r : e.getResponses()) {
                text.put(r.getResponseId(), TextNormalizer.normalize(r.getText()));
            }
            Object j = e.getJudgement();
            if (j instanceof Comparison c && c.getOutcome() != ComparisonOutcome.TIE) {
                String winner = c.getOutcome() == ComparisonOutcome.A ? c.getResponseA() : c.getResponseB();
                String loser = c.getOutcome() == ComparisonOutcome.A ? c.getResponseB() : c.getResponseA();
                if (chosen.equals(text.get(winner)) && rejected.equals(text.get(loser))) {
                    return true;
                }
            } else if (j instanceof Ranking r) {
                for (int hi = 0; hi < r.getTiers().size(); hi++) {
                    for (int lo = hi + 1; lo < r.getTiers().size(); lo++) {
                        for (String a : r.getTiers().get(hi)) {
                            for (String b : r.getTiers().get(lo)) {
                                if (chosen.equals(text.get(a)) && rejected.equals(text.get(b))) {
                                    return true;
                                }
                            }
                        }
                    }
                }
            } else if (j instanceof Rating r) {
                for (ResponseScore a : r.getScores()) {
                    for (ResponseScore b : r.getScores()) {
                        if (a.getScore() > b.getScore() && chosen.equals(text.get(a.getResponseId())) && rejected.equals(text.get(b.getResponseId()))) {
                            return true;
                        }
                    }
                }
            } else if (j instanceof Feedback f) {
                up |= f.getThumb() == Thumb.UP && chosen.equals(text.get(f.getResponseId()));
                down |= f.getThumb() == Thumb.DOWN && rejected.equals(text.get(f.getResponseId()));
            }
        }
        return up && down;
    }

    private static boolean sameUserText(PreferenceEvent e, PreferencePair pair) {
        return !e.getPrompt().isEmpty() && !pair.getPrompt().isEmpty()
                && TextNormalizer.normalize(e.getPrompt().get(0).getContent()).equals(TextNormalizer.normalize(pair.getPrompt().get(0).getContent()));
    }

    @Provide
    Arbitrary<List<PreferenceEvent>> streams() {
        Arbitrary<PreferenceEvent> event = Arbitraries.oneOf(comparisons(), rankings(), ratings(), thumbs(), invalid());
        // replays of earlier events make exact duplicates
        // event ids are unique per content (a replay repeats the same event, as producers do)
        return event.list().uniqueElements(PreferenceEvent::getEventId).ofMinSize(1).ofMaxSize(40).flatMap(events -> Arbitraries.integers().between(0, 5).map(replays -> {
            List<PreferenceEvent> out = new ArrayList<>(events);
            for (int i = 0; i < replays && !events.isEmpty(); i++) {
                out.add(events.get((i * 7) % events.size()));
            }
            return out;
        }));
    }

    private static Arbitrary<String> ids() {
        return Arbitraries.strings().withCharRange('a', 'z').ofLength(8);
    }

    private static Arbitrary<String> prompts() {
        return Arbitraries.of(PROMPTS);
    }

    private static Arbitrary<String> texts() {
        return Arbitraries.of(TEXTS);
    }

    private Arbitrary<PreferenceEvent> comparisons() {
        return Combinators.combine(ids(), prompts(), texts(), texts(), Arbitraries.of(ComparisonOutcome.class))
                .as((id, p, a, b, o) -> Events.comparison(id, p, a, b, o));
    }

    private Arbitrary<PreferenceEvent> rankings() {
        return Combinators.combine(ids(), prompts(), texts().list().ofSize(3), Arbitraries.integers().between(0, 2))
                .as((id, p, t, shape) -> Events.ranking(id, p, switch (shape) {
                    case 0 -> List.of(List.of(0), List.of(1), List.of(2));
                    case 1 -> List.of(List.of(0, 1), List.of(2));
                    default -> List.of(List.of(2), List.of(0, 1));
                }, t.get(0), t.get(1), t.get(2)));
    }

    private Arbitrary<PreferenceEvent> ratings() {
        return Combinators.combine(ids(), prompts(), texts().list().ofSize(3), Arbitraries.integers().between(1, 5).list().ofSize(3))
                .as((id, p, t, s) -> Events.rating(id, p, new double[]{s.get(0), s.get(1), s.get(2)}, t.get(0), t.get(1), t.get(2)));
    }

    private Arbitrary<PreferenceEvent> thumbs() {
        return Combinators.combine(ids(), Arbitraries.of("ann", "bob", "cy"), prompts(), Arbitraries.integers().between(0, 4),
                        Arbitraries.of(Thumb.class), Arbitraries.integers().between(0, 120))
                .as((id, who, p, r, thumb, minute) -> Events.thumbs(id, who, p, "resp-" + r, TEXTS.get(r), thumb,
                        Events.T0.plus(Duration.ofMinutes(minute))));
    }

    private Arbitrary<PreferenceEvent> invalid() {
        return Combinators.combine(ids(), prompts()).as((id, p) ->
                PreferenceEvent.newBuilder(Events.comparison(id, p, "x", "y", ComparisonOutcome.A)).setPrompt(List.of()).build());
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("ingest-props");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void delete(Path dir) {
        try (var files = Files.walk(dir)) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
