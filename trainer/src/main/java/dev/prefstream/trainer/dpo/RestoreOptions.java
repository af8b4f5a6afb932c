package dev.prefstream.trainer.dpo;

import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * How {@link DpoTrainer#restore(java.nio.file.Path, ai.djl.Device, dev.prefstream.trainer.tokenizer.TextTokenizer,
 * RestoreOptions)} treats the checkpoint's saved run settings. Weights, reference weights and version, step,
 * iteration counters, bco baseline and loss scale always come from the checkpoint.
 *
 * <p>Changing hyperparameters (e.g. {@code prefstream replay --config} after a hyperparameter change): the new
 * config is {@code hyperparameters.apply(saved)}. What this means for the optimizer:
 * <ul>
 *   <li>{@link OptimizerState#RESTORED}: AdamW's moments and its bias-correction step count continue; a new
 *       beta1/beta2 decays the old moments from the next step on (what changing torch's param_groups does).
 *       A new lr or weight decay applies from the next step.</li>
 *   <li>{@link OptimizerState#FRESH}: moments start at zero and the bias-correction count at 0, as a new
 *       {@code torch.optim.AdamW} would (fp16 master weights are rebuilt from the restored weights).</li>
 *   <li>Either way the LR schedule is indexed by the global optimizer step restored from the checkpoint: warmup and
 *       decay horizons are global step numbers, so a warmup shorter than the restored step is already over, and a
 *       linear/cosine horizon below it gives lr 0. Give the schedule in global steps.</li>
 * </ul>
 * Cached reference log-probs are dropped when the collation (max length, prompt length, truncation) or the cache
 * size changes. Precision cannot change on restore (the weights, masters and loss scaler are of the saved type):
 * convert by starting a new lineage from the checkpoint's weights ({@code --initial DIR --precision ...}).
 *
 * @param hyperparameters maps the saved config to the one to train with ({@link UnaryOperator#identity()}: exact)
 * @param optimizer       keep the saved AdamW state or start a fresh one
 */
public record RestoreOptions(UnaryOperator<TrainerConfig> hyperparameters, OptimizerState optimizer) {

    /** What happens to the saved AdamW moments. */
    public enum OptimizerState {
        /** Moments, master weights and bias-correction step from the checkpoint. */
        RESTORED,
        /** Zero moments, step 0 (the weights are still the checkpoint's). */
        FRESH
    }

    public RestoreOptions {
        Objects.requireNonNull(hyperparameters, "hyperparameters");
        Objects.requireNonNull(optimizer, "optimizer");
    }

    /** Continue exactly as saved: bit-identical to an uninterrupted run. */
    public static RestoreOptions exact() {
        return new RestoreOptions(UnaryOperator.identity(), OptimizerState.RESTORED);
    }

    /** Train with {@code hyperparameters.apply(saved)}, keeping or resetting the optimizer state. */
    public static RestoreOptions overriding(UnaryOperator<TrainerConfig> hyperparameters, OptimizerState optimizer) {
        return new RestoreOptions(hyperparameters, optimizer);
    }
}
