package dev.prefstream.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Access to the {@code .grad} tensors of a model's parameters.
 *
 * <p>DJL's PyTorch {@code GradientCollector} neither zeroes gradients on creation nor on close, so PyTorch keeps
 * accumulating into {@code .grad} across backward passes. That is what gradient accumulation needs within a step,
 * and what {@link #zero} undoes between optimizer steps ({@code grad.zero_()}, which also clears inf/NaN, unlike
 * subtracting the gradient from itself).
 */
public final class ParameterGradients {

    private ParameterGradients() {
    }

    /** Sets every existing {@code .grad} to zero in place (no-op for parameters that never got a gradient). */
    public static void zero(Map<String, NDArray> parameters) {
        for (NDArray p : parameters.values()) {
            JniUtils.zeroGrad((PtNDArray) p);
        }
    }

    /**
     * Views of the gradients (sharing storage with {@code .grad}, so in-place ops on them change the gradient),
     * attached to {@code scope} so that they are released with it and never accumulate in the model's manager.
     * A parameter without a gradient yet gets a zeros array.
     */
    public static LinkedHashMap<String, NDArray> views(Map<String, NDArray> parameters, NDManager scope) {
        LinkedHashMap<String, NDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : parameters.entrySet()) {
            NDArray g = e.getValue().getGradient();
            g.attach(scope);
            out.put(e.getKey(), g);
        }
        return out;
    }

    /**
     * L2 norm over all gradients together, as {@code torch.nn.utils.clip_grad_norm_} computes it: the norm of the
     * per-tensor L2 norms. Stays on the device (0-dim float32 in {@code scope}); no host sync.
     */
    public static NDArray globalNorm(Map<String, NDArray> gradients, NDManager scope) {
        NDList norms = new NDList(gradients.size());
        for (NDArray g : gradients.values()) {
            NDArray n = g.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).norm();
            n.attach(scope);
            norms.add(n);
        }
        NDArray stacked = NDArrays.stack(norms);
        stacked.attach(scope);
        NDArray total = stacked.norm();
        total.attach(scope);
        return total;
    }
}
