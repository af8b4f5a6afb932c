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
 * and what {@link #release} undoes between optimizer steps.
 *
 * <p>Between steps the gradients are released, as PyTorch's {@code zero_grad(set_to_none=True)} does, rather than
 * zeroed: zeroed gradients hold one parameter-sized buffer per weight through the next forward pass, when the
 * activations peak (2 GB at 0.5B parameters in float32), and every backward then adds its output into them. Released,
 * the next backward's first output for a weight simply becomes its gradient (PyTorch's accumulator takes the buffer
 * over instead of adding it), so the memory is only held from the backward on, and an add pass per weight is saved.
 */
public final class ParameterGradients {

    private ParameterGradients() {
    }

    /**
     * Drops every parameter's {@code .grad}, so its memory is freed and the next backward starts afresh.
     *
     * <p>DJL 0.35.1 has no {@code set_to_none}, and a tensor's {@code .grad} lives as long as its autograd metadata.
     * So each parameter's native tensor is replaced, under the same Java array, by a detached alias of the same
     * storage that requires a gradient and has none ({@link NDArray#intern}); deleting the old handle frees the old
     * metadata and its gradient. The weights' values and storage are untouched, and everything that holds the array
     * (the model's slots, the optimizer, the trainer) sees the new tensor. Cost: three JNI calls per parameter, no
     * copy. Parameters that do not require a gradient are left alone.
     */
    public static void release(Map<String, NDArray> parameters) {
        for (NDArray p : parameters.values()) {
            PtNDArray array = (PtNDArray) p;
            if (!JniUtils.requiresGrad(array)) {
                continue;
            }
            PtNDArray fresh = JniUtils.detachGradient(array);
            JniUtils.attachGradient(fresh, true);
            array.intern(fresh);
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
