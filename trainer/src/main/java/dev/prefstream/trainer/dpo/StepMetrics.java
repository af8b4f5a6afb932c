package dev.prefstream.trainer.dpo;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one optimizer step reports, with TRL's metric names in {@link #toMap()}.
 *
 * @param step              optimizer steps completed after this one (1 for the first step)
 * @param loss              total loss (weighted sum over loss types), mean over the step's pairs
 * @param rewardsChosen     mean beta * (policy - reference) log-prob of the chosen responses
 * @param rewardsRejected   same for the rejected responses
 * @param rewardsAccuracies fraction of pairs whose chosen reward exceeds the rejected reward
 * @param rewardsMargins    mean chosen minus rejected reward
 * @param logpsChosen       mean policy log-prob of the chosen responses
 * @param logpsRejected     mean policy log-prob of the rejected responses
 * @param gradNorm          global L2 norm of the gradients before clipping (NaN when not computed, e.g. in eval)
 * @param learningRate      learning rate used by this step
 * @param tokensPerS        chosen+rejected tokens (padding excluded) processed per second of this step
 * @param tokens            chosen+rejected tokens (padding excluded) of this step
 * @param pairs             number of pairs in the step
 * @param truncated         pairs whose prompt or responses had to be truncated
 * @param skipped           true if the update was skipped (non-finite gradients under fp16 loss scaling)
 * @param millis            wall time of the step in milliseconds
 */
public record StepMetrics(long step, double loss, double rewardsChosen, double rewardsRejected,
                          double rewardsAccuracies, double rewardsMargins, double logpsChosen, double logpsRejected,
                          double gradNorm, double learningRate, double tokensPerS, long tokens, int pairs,
                          int truncated, boolean skipped, double millis) {

    /**
     * TRL-named metrics ("loss", "rewards/chosen", ..., "grad_norm", "learning_rate") plus "tokens_per_s",
     * "tokens", "pairs", "truncated_pairs" and "skipped" (1 if the update was skipped).
     */
    public Map<String, Double> toMap() {
        Map<String, Double> m = new LinkedHashMap<>();
        m.put("loss", loss);
        m.put("rewards/chosen", rewardsChosen);
        m.put("rewards/rejected", rewardsRejected);
        m.put("rewards/accuracies", rewardsAccuracies);
        m.put("rewards/margins", rewardsMargins);
        m.put("logps/chosen", logpsChosen);
        m.put("logps/rejected", logpsRejected);
        m.put("grad_norm", gradNorm);
        m.put("learning_rate", learningRate);
        m.put("tokens_per_s", tokensPerS);
        m.put("tokens", (double) tokens);
        m.put("pairs", (double) pairs);
        m.put("truncated_pairs", (double) truncated);
        m.put("skipped", skipped ? 1.0 : 0.0);
        return m;
    }
}
