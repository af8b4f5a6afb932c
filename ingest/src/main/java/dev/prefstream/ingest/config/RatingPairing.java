package dev.prefstream.ingest.config;

/** Which rated responses form pairs. Responses with equal scores never pair, and the minimum margin always applies. */
public enum RatingPairing {
    /**
     * The highest-scored response against one response drawn at random from those scored strictly lower
     * (the Zephyr/UltraFeedback and Notus choice). The draw is seeded by the event id, so a replay yields the same pair.
     */
    BEST_VS_RANDOM_LOWER,
    /** The highest-scored against the lowest-scored response (the RLHFlow choice). */
    MAX_VS_MIN,
    /** Every pair of responses whose scores differ by at least the minimum margin. */
    ALL_PAIRS
}
