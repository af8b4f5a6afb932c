package dev.prefstream.cli.bench;

import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.Feedback;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Ranking;
import dev.prefstream.schemas.avro.Rating;
import dev.prefstream.schemas.avro.Response;
import dev.prefstream.schemas.avro.ResponseScore;
import dev.prefstream.schemas.avro.Thumb;
import dev.prefstream.schemas.serde.AvroTrust;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Realistic benchmark input, deterministic for a seed: events of every kind (40% comparisons, 15% rankings, 15%
 * ratings, 30% thumbs votes that arrive in up/down couples from different users), about 1 KB of Avro each,
 * 10% duplicates (half exact replays of an earlier record, half the same judgement under a new event id) and
 * 1% garbage bytes.
 */
public final class BenchEventGenerator {

    private static final String[] WORDS = ("the a of to and in is it that for on with as was be by this are or at from "
            + "kafka stream model answer token prompt data record broker partition offset pair user helpful honest "
            + "because however therefore example consider result value function system question explain simple "
            + "first second third final better worse quickly carefully correct wrong maybe always never").split(" ");

    private final SplittableRandom random;
    private final Instant start;

    public BenchEventGenerator(long seed, Instant start) {
        AvroTrust.ensureTrusted();
        this.random = new SplittableRandom(seed);
        this.start = start;
    }

    /** One produced record: key and value bytes. */
    public record BenchRecord(byte[] key, byte[] value) {
    }

    /** {@code n} records, events encoded with {@code encoder}. */
    public List<BenchRecord> generate(int n, Function<PreferenceEvent, byte[]> encoder) {
        List<BenchRecord> out = new ArrayList<>(n);
        List<BenchRecord> fresh = new ArrayList<>();
        List<PreferenceEvent> freshEvents = new ArrayList<>();
        int i = 0;
        while (out.size() < n) {
            double roll = random.nextDouble();
            if (roll < 0.01) {
                byte[] garbage = new byte[200 + random.nextInt(800)];
                random.nextBytes(garbage);
                garbage[0] = (byte) (random.nextBoolean() ? 0x7b : 0x01);
                out.add(new BenchRecord(("garbage-" + i++).getBytes(StandardCharsets.UTF_8), garbage));
            } else if (roll < 0.11 && !fresh.isEmpty()) {
                int pick = random.nextInt(fresh.size());
                if (random.nextBoolean()) {
                    out.add(fresh.get(pick));
                } else {
                    PreferenceEvent again = PreferenceEvent.newBuilder(freshEvents.get(pick)).setEventId("dup-" + i++).build();
                    out.add(new BenchRecord(again.getEventId().getBytes(StandardCharsets.UTF_8), encoder.apply(again)));
                }
            } else {
                for (PreferenceEvent e : next(i++)) {
                    BenchRecord r = new BenchRecord(e.getEventId().getBytes(StandardCharsets.UTF_8), encoder.apply(e));
                    fresh.add(r);
                    freshEvents.add(e);
                    out.add(r);
                }
            }
        }
        return out.subList(0, n);
    }

    private List<PreferenceEvent> next(int i) {
        double kind = random.nextDouble();
        String id = "bench-" + i;
        List<ChatMessage> prompt = List.of(new ChatMessage("system", sentence(12)), new ChatMessage("user", sentence(40) + " #" + i));
        Instant at = start.plusMillis(i * 10L);
        if (kind < 0.40) {
            return List.of(event(id, prompt, at, responses(2)).setJudgement(new Comparison("r0", "r1",
                    random.nextDouble() < 0.1 ? ComparisonOutcome.TIE : random.nextBoolean() ? ComparisonOutcome.A : ComparisonOutcome.B, null)).build());
        } else if (kind < 0.55) {
            return List.of(event(id, prompt, at, responses(3)).setJudgement(new Ranking(List.of(List.of("r1"), List.of("r0"), List.of("r2")))).build());
        } else if (kind < 0.70) {
            List<ResponseScore> scores = new ArrayList<>();
            for (int r = 0; r < 3; r++) {
                scores.add(new ResponseScore("r" + r, null, Map.of("helpfulness", (double) (1 + random.nextInt(5)), "honesty", (double) (1 + random.nextInt(5)))));
            }
            return List.of(event(id, prompt, at, responses(3)).setSource(FeedbackSource.AI_JUDGE).setAnnotatorId("judge-7b")
                    .setJudgement(new Rating(1.0, 5.0, scores)).build());
        }
        List<Response> both = responses(2);
        PreferenceEvent up = event(id + "-up", prompt, at, List.of(both.get(0))).setAnnotatorId("user-" + random.nextInt(1000))
                .setJudgement(new Feedback("r0", Thumb.UP)).build();
        PreferenceEvent down = event(id + "-down", prompt, at.plusSeconds(60), List.of(both.get(1))).setAnnotatorId("user-" + random.nextInt(1000))
                .setJudgement(new Feedback("r1", Thumb.DOWN)).build();
        return List.of(up, down);
    }

    private PreferenceEvent.Builder event(String id, List<ChatMessage> prompt, Instant at, List<Response> responses) {
        return PreferenceEvent.newBuilder().setEventId(id).setOccurredAt(at).setSource(FeedbackSource.HUMAN)
                .setAnnotatorId("user-" + random.nextInt(1000)).setConversationId("conv-" + id)
                .setPrompt(prompt).setResponses(responses).setTenant("bench");
    }

    private List<Response> responses(int n) {
        List<Response> out = new ArrayList<>();
        int words = n == 2 ? 45 : 30;
        for (int r = 0; r < n; r++) {
            out.add(new Response("r" + r, sentence(words), "policy-v" + random.nextInt(5)));
        }
        return out;
    }

    private String sentence(int words) {
        StringBuilder s = new StringBuilder();
        for (int w = 0; w < words; w++) {
            if (w > 0) {
                s.append(' ');
            }
            s.append(WORDS[random.nextInt(WORDS.length)]);
        }
        return s.append('.').toString();
    }
}
