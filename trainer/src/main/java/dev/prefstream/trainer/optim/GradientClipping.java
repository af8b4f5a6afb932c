package dev.prefstream.trainer.optim;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

import java.util.Map;

/**
 * Global-norm gradient clipping with {@code torch.nn.utils.clip_grad_norm_} semantics: one norm over all
 * gradients, every gradient multiplied in place by {@code min(1, maxNorm / (norm + 1e-6))}. Everything stays on
 * the device: the coefficient is never read back to the host, so clipping costs no synchronisation.
 */
public final class GradientClipping {

    /** Same guard against division by zero as PyTorch. */
    private static final double EPS = 1e-6;

    private GradientClipping() {
    }

    /**
     * Clips {@code gradients} (views of {@code .grad}) in place if {@code maxNorm > 0}.
     *
     * @return the global norm BEFORE clipping (0-dim float32 on the device, in {@code scope}), for logging
     */
    public static NDArray clip(Map<String, NDArray> gradients, double maxNorm, NDManager scope, ScalarArrays scalars) {
        NDArray norm = ParameterGradients.globalNorm(gradients, scope);
        if (maxNorm <= 0 || gradients.isEmpty()) {
            return norm;
        }
        // every intermediate has a scope array as receiver, so it lands in scope (never in the scalars' manager)
        NDArray coef = norm.add(scalars.of(EPS)).pow(scalars.of(-1)).mul(scalars.of(maxNorm))
                .minimum(scalars.of(1.0));
        for (NDArray g : gradients.values()) {
            g.muli(coef.toType(g.getDataType(), false));
        }
        return norm;
    }
}
