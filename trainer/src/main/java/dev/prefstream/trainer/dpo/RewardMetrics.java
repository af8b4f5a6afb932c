package dev.prefstream.trainer.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import dev.prefstream.trainer.optim.ScalarArrays;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The per-batch DPO metrics that TRL logs, computed on the device into ONE float32 vector so that a step copies
 * its metrics to the host once. Rewards are {@code beta * (policy - reference)} log-probs, detached; accuracy is
 * the fraction of pairs with chosen reward strictly greater than rejected reward; all values are means over pairs.
 */
public final class RewardMetrics {

    /** Names, in the order of the vector returned by {@link #compute}. */
    public static final List<String> NAMES = List.of(
            "loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins",
            "logps/chosen", "logps/rejected");

    private RewardMetrics() {
    }

    /**
     * @param x    the batch's log-probs
     * @param loss 0-dim total loss of the batch
     * @return float32 [7] in the order of {@link #NAMES}, in the manager of {@code x.policyChosen()}
     */
    public static NDArray compute(PairLogps x, NDArray loss, double beta, ScalarArrays s) {
        NDArray pc = x.policyChosen().stopGradient();
        NDArray pr = x.policyRejected().stopGradient();
        pc.attach(x.policyChosen().getManager());
        pr.attach(x.policyChosen().getManager());
        NDArray chosenRewards = pc.sub(x.referenceChosen()).mul(s.of(beta));
        NDArray rejectedRewards = pr.sub(x.referenceRejected()).mul(s.of(beta));
        NDArray lossValue = loss.stopGradient();
        lossValue.attach(pc.getManager());
        NDList values = new NDList(
                lossValue.reshape(),
                chosenRewards.mean(),
                rejectedRewards.mean(),
                chosenRewards.gt(rejectedRewards).toType(DataType.FLOAT32, false).mean(),
                chosenRewards.sub(rejectedRewards).mean(),
                pc.mean(),
                pr.mean());
        return NDArrays.stack(values);
    }

    /** Host copy of a metrics vector as a name -> value map (in {@link #NAMES} order). */
    public static Map<String, Double> toMap(float[] values) {
        if (values.length < NAMES.size()) {
            throw new IllegalArgumentException("expected " + NAMES.size() + " metric values, got " + values.length);
        }
        Map<String, Double> m = new LinkedHashMap<>();
        for (int i = 0; i < NAMES.size(); i++) {
            m.put(NAMES.get(i), (double) values[i]);
        }
        return m;
    }
}
