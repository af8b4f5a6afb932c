package dev.prefstream.ingest.binarize;

import java.util.Locale;

/** Why a valid event produced no pair. These are counted, not dead-lettered: the input was fine. */
public enum NoPairReason {
    /** Comparison tie, ranking with one tier, ratings all equal. */
    TIE,
    /** Scores differ, but by less than {@code ingest.rating.min-margin}. */
    BELOW_MIN_MARGIN;

    public String code() {
        return name().toLowerCase(Locale.ROOT);
    }
}
