package dev.prefstream.trainer.dpo;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Result of {@link DpoTrainer#evaluate}: TRL's metrics over held-out pairs (no gradient, no state change), plus
 * the policy's own preference accuracy.
 *
 * @param loss                 total loss, mean over pairs
 * @param rewardsChosen        mean implicit reward of chosen responses
 * @param rewardsRejected      mean implicit reward of rejected responses
 * @param rewardsAccuracies    fraction of pairs with chosen reward &gt; rejected reward (TRL; 0 while policy == reference)
 * @param rewardsMargins       mean reward margin
 * @param logpsChosen          mean policy log-prob of chosen responses
 * @param logpsRejected        mean policy log-prob of rejected responses
 * @param preferenceAccuracy   fraction of pairs where the POLICY gives the chosen response the higher log-prob
 *                             (independent of the reference; ~50% for an untrained model on balanced data)
 * @param pairs                number of pairs evaluated
 */
public record EvalMetrics(double loss, double rewardsChosen, double rewardsRejected, double rewardsAccuracies,
                          double rewardsMargins, double logpsChosen, double logpsRejected,
                          double preferenceAccuracy, int pairs) {

    /** TRL names with an {@code eval_} prefix (as TRL logs evaluation) plus {@code eval_preference_accuracy}. */
    public Map<String, Double> toMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("eval_loss", loss);
        m.put("eval_rewards/chosen", rewardsChosen);
        m.put("eval_rewards/rejected", rewardsRejected);
        m.put("eval_rewards/accuracies", rewardsAccuracies);
        m.put("eval_rewards/margins", rewardsMargins);
        m.put("eval_logps/chosen", logpsChosen);
        m.put("eval_logps/rejected", logpsRejected);
        m.put("eval_preference_accuracy", preferenceAccuracy);
        m.put("eval_pairs", (double) pairs);
        return m;
    }
}
