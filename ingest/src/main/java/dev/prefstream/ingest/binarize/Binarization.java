package dev.prefstream.ingest.binarize;

import java.util.List;

/** The pairs one event yields; when there are none, why. */
public record Binarization(List<CandidatePair> pairs, NoPairReason noPairReason) {

    public Binarization {
        pairs = List.copyOf(pairs);
        if (pairs.isEmpty() == (noPairReason == null)) {
            throw new IllegalArgumentException("a binarization has pairs or a reason for having none, not both");
        }
    }

    public static Binarization of(List<CandidatePair> pairs) {
        return new Binarization(pairs, null);
    }

    public static Binarization none(NoPairReason reason) {
        return new Binarization(List.of(), reason);
    }

    /** Pairs when there are some, else the given reason. */
    static Binarization orElse(List<CandidatePair> pairs, NoPairReason reason) {
        return pairs.isEmpty() ? none(reason) : of(pairs);
    }
}
