package dev.prefstream.trainer.dpo;

import java.util.List;
import java.util.Map;

/**
 * The small, JSON part of a trainer checkpoint ({@code trainer-state/state.json}); tensors are in safetensors files
 * next to it. Floats are stored as JSON numbers of their exact float value, so a round trip is bit-exact.
 *
 * @param format                 layout version of the trainer-state directory
 * @param config                 the run's configuration
 * @param step                   optimizer steps completed
 * @param seed                   the run's seed
 * @param referenceVersion       reference version string at save time
 * @param referenceGeneration    number of reference changes so far
 * @param referenceLastIteration last iteration boundary applied
 * @param bcoMean                bco_pair running reward mean
 * @param bcoUpdates             batches folded into bcoMean
 * @param lossScale              fp16 loss scale (null in fp32)
 * @param scalerGoodSteps        fp16 good steps since the last scale change (null in fp32)
 * @param scalerSkippedSteps     fp16 skipped steps (null in fp32)
 * @param referenceCache         cached reference log-probs by pair key: [chosen, rejected] (valid for referenceVersion)
 * @param overrides              hyperparameters changed on a restore in this lineage (absent in older states: none)
 */
public record TrainerState(int format, TrainerConfig config, long step, long seed, String referenceVersion,
                           long referenceGeneration, long referenceLastIteration, float bcoMean, long bcoUpdates,
                           Double lossScale, Integer scalerGoodSteps, Long scalerSkippedSteps,
                           Map<String, float[]> referenceCache, List<SettingChange> overrides) {

    /** Current layout version. */
    public static final int FORMAT = 1;
}
