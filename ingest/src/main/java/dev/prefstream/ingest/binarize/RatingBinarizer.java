package dev.prefstream.ingest.binarize;

import dev.prefstream.ingest.canonical.ContentHash;
import dev.prefstream.ingest.config.RatingPairing;
import dev.prefstream.ingest.config.RatingScore;
import dev.prefstream.schemas.avro.Rating;
import dev.prefstream.schemas.avro.Response;
import dev.prefstream.schemas.avro.ResponseScore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Per-response scores to pairs. Two responses whose scores differ by less than {@link #EQUAL} are tied and never
 * pair (means over aspects are not exact); a pair's margin is its score difference and must reach the configured
 * minimum. Among equally top-scored responses the first listed is "the best", so the choice is deterministic.
 */
final class RatingBinarizer {

    /** Scores closer than this are equal. */
    static final double EQUAL = 1e-9;

    private final RatingScore scoreChoice;
    private final RatingPairing pairing;
    private final double minMargin;

    RatingBinarizer(RatingScore scoreChoice, RatingPairing pairing, double minMargin) {
        this.scoreChoice = scoreChoice;
        this.pairing = pairing;
        this.minMargin = minMargin;
    }

    private record Scored(Response response, double score) {
    }

    Binarization binarize(String eventId, Rating rating, Map<String, Response> byId) {
        List<Scored> scored = new ArrayList<>(rating.getScores().size());
        for (ResponseScore s : rating.getScores()) {
            scored.add(new Scored(byId.get(s.getResponseId()), scoreOf(s)));
        }
        Scored best = scored.get(0);
        Scored worst = scored.get(0);
        for (Scored s : scored) {
            if (s.score() > best.score() + EQUAL) {
                best = s;
            }
            if (s.score() < worst.score() - EQUAL) {
                worst = s;
            }
        }
        if (best.score() - worst.score() <= EQUAL) {
            return Binarization.none(NoPairReason.TIE);
        }
        List<CandidatePair> pairs = new ArrayList<>();
        switch (pairing) {
            case MAX_VS_MIN -> addIfWide(best, worst, pairs);
            case BEST_VS_RANDOM_LOWER -> {
                List<Scored> lower = new ArrayList<>();
                for (Scored s : scored) {
                    if (wideEnough(best.score() - s.score())) {
                        lower.add(s);
                    }
                }
                if (!lower.isEmpty()) {
                    Scored pick = lower.get(seededRandom(eventId).nextInt(lower.size()));
                    pairs.add(new CandidatePair(best.response(), pick.response(), best.score() - pick.score()));
                }
            }
            case ALL_PAIRS -> {
                for (Scored hi : scored) {
                    for (Scored lo : scored) {
                        addIfWide(hi, lo, pairs);
                    }
                }
            }
        }
        return Binarization.orElse(pairs, NoPairReason.BELOW_MIN_MARGIN);
    }

    private void addIfWide(Scored hi, Scored lo, List<CandidatePair> out) {
        double margin = hi.score() - lo.score();
        if (wideEnough(margin)) {
            out.add(new CandidatePair(hi.response(), lo.response(), margin));
        }
    }

    private boolean wideEnough(double margin) {
        return margin > EQUAL && margin >= minMargin - EQUAL;
    }

    double scoreOf(ResponseScore s) {
        Map<String, Double> aspects = s.getAspects();
        boolean hasAspects = aspects != null && !aspects.isEmpty();
        if (scoreChoice == RatingScore.OVERALL && s.getScore() != null || !hasAspects) {
            return s.getScore();
        }
        double sum = 0;
        for (double v : aspects.values()) {
            sum += v;
        }
        return sum / aspects.size();
    }

    /** The same event id always draws the same response, so replays and re-imports give the same pair. */
    static SplittableRandom seededRandom(String eventId) {
        byte[] digest = ContentHash.sha256(eventId.getBytes(StandardCharsets.UTF_8));
        return new SplittableRandom(ByteBuffer.wrap(digest).getLong());
    }
}
