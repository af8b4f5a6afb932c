package dev.prefstream.ingest.config;

/** How a ranking (tiers of response ids, best first) becomes pairs. Responses in the same tier never pair. */
public enum RankingStrategy {
    /** Every response of the top tier against every response of the bottom tier (the default). */
    BEST_VS_WORST,
    /** Every response against every response of every lower tier: n(n-1)/2 pairs for a strict ranking. */
    ALL_PAIRS,
    /** Each tier against the next lower tier only. */
    ADJACENT
}
