package dev.prefstream.publisher;

import dev.prefstream.checkpoint.registry.RegistryReader;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A candidate's held-out evaluation. Rewards are DPO's implicit reward against the initial policy:
 * r(x, y) = beta * (log pi(y|x) - log pi_init(y|x)).
 *
 * @param heldOutPairs   pairs scored
 * @param accuracy       share of pairs with r(chosen) &gt; r(rejected) (ties count as wrong, as in TRL)
 * @param rewardMargin   mean r(chosen) - r(rejected)
 * @param chosenReward   mean r(chosen)
 * @param rejectedReward mean r(rejected)
 * @param kl             estimated KL(pi || pi_init) per response, nats, from samples of pi on held-out prompts (NaN if not measured)
 * @param klSamples      samples behind the KL estimate
 */
public record CandidateMetrics(int heldOutPairs, double accuracy, double rewardMargin, double chosenReward, double rejectedReward,
                               double kl, int klSamples) {

    /** Metric names as they appear in registry records and manifests. */
    public static final String ACCURACY = RegistryReader.ACCURACY;
    public static final String MARGIN = "eval/reward_margin";
    public static final String KL = "eval/kl";

    /** As a metrics map (the registry record's {@code metrics}). */
    public Map<String, Double> toMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("eval/pairs", (double) heldOutPairs);
        m.put(ACCURACY, accuracy);
        m.put(MARGIN, rewardMargin);
        m.put("eval/rewards_chosen", chosenReward);
        m.put("eval/rewards_rejected", rejectedReward);
        if (!Double.isNaN(kl)) {
            m.put(KL, kl);
            m.put("eval/kl_samples", (double) klSamples);
        }
        return m;
    }
}
