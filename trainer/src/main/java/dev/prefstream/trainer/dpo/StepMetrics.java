package dev.prefstream.trainer.dpo;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one optimizer step reports, typed from the trainer step to the edges that show it: the Prometheus gauges and
 * counters ({@code TrainerMetrics}), the logs, and, through {@link #toMap()} at the last moment, the checkpoint
 * manifest's JSON {@code metrics} (and from there the registry's {@code train/...} metrics).
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
     * The metrics of a step from its host copy of the metrics vector: {@link RewardMetrics#NAMES}' values in that
     * order, then the gradient norm (read by position, as {@link EvalMetrics} is, not through a name map).
     */
    public static StepMetrics of(long step, float[] host, double learningRate, long tokens, int pairs, int truncated,
                                 boolean skipped, double millis) {
        int n = RewardMetrics.NAMES.size();
        if (host.length < n + 1) {
            throw new IllegalArgumentException("expected " + (n + 1) + " metric values, got " + host.length);
        }
        return new StepMetrics(step, host[0], host[1], host[2], host[3], host[4], host[5], host[6], host[n], learningRate,
                tokens / (millis / 1000.0), tokens, pairs, truncated, skipped, millis);
    }

    /**
     * A step's metrics where only some are known (a stand-in trainer, a test): every other value is NaN (0 for the
     * counts), which the manifest writes as null and the registry leaves out.
     */
    public static StepMetrics partial(long step, double loss, double rewardsAccuracies, long tokens, int pairs) {
        return new StepMetrics(step, loss, Double.NaN, Double.NaN, rewardsAccuracies, Double.NaN, Double.NaN, Double.NaN,
                Double.NaN, Double.NaN, Double.NaN, tokens, pairs, 0, false, Double.NaN);
    }

    /**
     * TRL-named metrics ("loss", "rewards/chosen", ..., "grad_norm", "learning_rate") plus "tokens_per_s",
     * "tokens", "pairs", "truncated_pairs", "truncated" (the same count: checkpoint manifests and the registry's
     * {@code train/} metrics have always carried both) and "skipped" (1 if the update was skipped). Only for edges
     * that are name -> number by nature (a manifest's JSON, logs of a whole step); code reads the components.
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
        m.put("truncated", (double) truncated);
        m.put("skipped", skipped ? 1.0 : 0.0);
        return m;
    }
}
