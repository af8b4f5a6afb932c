package dev.prefstream.ingest.feedback;

import dev.prefstream.schemas.avro.Thumb;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The thumbs rule, as a pure function of one incoming vote and the votes already stored for its prompt:
 * <ul>
 *   <li>A vote is superseded by a newer vote (event time, then event id) of the same annotator on the same
 *       response; a superseded vote is ignored, whichever order the two arrive in. A replay of a stored event
 *       is ignored too.</li>
 *   <li>Otherwise the vote is stored, and it pairs with every effective (not superseded) vote of the opposite
 *       thumb on a different response of the same tenant that occurred within the feedback window of it:
 *       the UP side is chosen, the DOWN side rejected. Each (up, down) combination is emitted once, as soon as
 *       its second vote arrives; pairs already emitted by an earlier vote are left to dedup.</li>
 * </ul>
 * Votes only pair within one tenant so that feedback never crosses tenants.
 */
public final class FeedbackPairing {

    private final long windowMillis;

    public FeedbackPairing(Duration window) {
        this.windowMillis = window.toMillis();
    }

    /** What to do with an incoming vote. */
    public record Decision(Outcome outcome, List<Combination> combinations) {
        public Decision {
            combinations = List.copyOf(combinations);
        }
    }

    /** Whether the incoming vote counts. */
    public enum Outcome {
        /** Store it; it may have paired. */
        STORED,
        /** A newer vote by the same annotator on the same response is already stored. */
        SUPERSEDED,
        /** The same event is already stored (a replay). */
        REPLAYED
    }

    /** One (up, down) pair of votes on two different responses. */
    public record Combination(FeedbackVote up, FeedbackVote down) {
    }

    public Decision decide(FeedbackVote incoming, List<FeedbackVote> stored) {
        for (FeedbackVote v : stored) {
            if (v.eventId().equals(incoming.eventId()) && v.sameSlot(incoming)) {
                return new Decision(Outcome.REPLAYED, List.of());
            }
            if (v.sameSlot(incoming) && v.newerThan(incoming)) {
                return new Decision(Outcome.SUPERSEDED, List.of());
            }
        }
        // the effective vote of every (annotator, response) slot: one pass, so a busy prompt costs O(votes)
        Map<List<String>, FeedbackVote> effective = new LinkedHashMap<>();
        for (FeedbackVote v : stored) {
            effective.merge(List.of(v.annotatorId(), v.responseId()), v, (a, b) -> b.newerThan(a) ? b : a);
        }
        List<Combination> combinations = new ArrayList<>();
        for (FeedbackVote v : effective.values()) {
            if (v.thumb() == incoming.thumb()
                    || v.responseId().equals(incoming.responseId())
                    || !Objects.equals(v.tenant(), incoming.tenant())
                    || Math.abs(v.occurredAtMillis() - incoming.occurredAtMillis()) > windowMillis) {
                continue;
            }
            combinations.add(incoming.thumb() == Thumb.UP ? new Combination(incoming, v) : new Combination(v, incoming));
        }
        return new Decision(Outcome.STORED, combinations);
    }
}
