package dev.prefstream.trainer.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.prefstream.trainer.optim.ScalarArrays;

/**
 * The running reward mean that {@code bco_pair} subtracts from the implicit rewards (TRL's {@code RunningMoments}
 * as used by the BCO pair loss up to TRL 0.19; later TRL releases dropped the shift). Each update feeds ONE value,
 * the mean of the batch's detached rewards {@code beta * logratio} over chosen and rejected together, so the
 * baseline is the running average of per-batch means: {@code mean += (x - mean) / count} with count starting at
 * 1e-24 (hence the first update sets the mean to the first batch's value).
 *
 * <p>The mean stays on the device as a 0-dim array (no host sync per step); the count is host-side because it only
 * depends on how many updates happened.
 */
public final class RewardBaseline implements AutoCloseable {

    private static final double INITIAL_COUNT = 1e-24;

    private NDManager manager;
    private NDArray mean;
    private double count = INITIAL_COUNT;
    private float restoredMean;

    /**
     * Folds {@code batchMean} (0-dim, detached) into the running mean, then returns the updated mean (0-dim array
     * owned by this baseline: do not close it).
     */
    NDArray update(NDArray batchMean, ScalarArrays scalars) {
        ensure(batchMean);
        double total = count + 1.0;
        // mean += (x - mean) * (1 / total); the receiver of the temporaries is batchMean (the caller's scope)
        // 1/total changes every update: a per-call scalar (a memoizing factory would keep one array per update)
        try (ScalarArrays weight = ScalarArrays.perStep()) {
            mean.addi(batchMean.sub(mean).muli(weight.of(1.0 / total)));
        }
        count = total;
        return mean;
    }

    /** Number of batches folded in (0 before the first update). */
    public long updates() {
        return Math.round(count - INITIAL_COUNT);
    }

    /** Current mean on the host (a sync; for checkpoints and logs only). */
    public float meanValue() {
        return mean == null ? restoredMean : mean.getFloat();
    }

    /** An independent baseline with the same state (evaluation must not move the training baseline). */
    public RewardBaseline copy() {
        RewardBaseline c = new RewardBaseline();
        c.restore(meanValue(), updates());
        return c;
    }

    /** Restores the state saved with a checkpoint. */
    public void restore(float savedMean, long savedUpdates) {
        this.count = INITIAL_COUNT + savedUpdates;
        if (mean != null) {
            mean.close();
            mean = null;
        }
        this.restoredMean = savedMean;
    }

    private void ensure(NDArray like) {
        if (mean == null) {
            manager = manager == null ? NDManager.newBaseManager(like.getDevice()) : manager;
            mean = manager.full(new Shape(), restoredMean, DataType.FLOAT32);
        }
    }

    @Override
    public void close() {
        if (manager != null) {
            manager.close();
        }
    }
}
