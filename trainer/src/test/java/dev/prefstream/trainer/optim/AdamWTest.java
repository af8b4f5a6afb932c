package dev.prefstream.trainer.optim;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** AdamW against torch.optim.AdamW's update rule evaluated by hand (double precision), plus DJL autograd facts. */
class AdamWTest {

    private NDManager manager;

    @BeforeEach
    void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    /** torch.optim.AdamW single-tensor update for one scalar parameter, in double. */
    private static final class TorchAdamW {
        double p, m, v;
        long t;

        TorchAdamW(double p) {
            this.p = p;
        }

        void step(double g, double lr, AdamWConfig c) {
            t++;
            p *= 1 - lr * c.weightDecay();
            m = m + (1 - c.beta1()) * (g - m);
            v = v * c.beta2() + (1 - c.beta2()) * g * g;
            double bc1 = 1 - Math.pow(c.beta1(), t);
            double bc2 = 1 - Math.pow(c.beta2(), t);
            double denom = Math.sqrt(v) / Math.sqrt(bc2) + c.eps();
            p -= lr / bc1 * m / denom;
        }
    }

    @Test
    void severalStepsWithWeightDecayMatchTorchSemantics() {
        AdamWConfig config = new AdamWConfig(0.9, 0.95, 1e-6, 0.1);
        float[] init = {0.5f, -1.25f, 2.0f, 0.0f, 3e-3f, -0.75f};
        NDArray param = manager.create(init).reshape(2, 3);
        param.setRequiresGradient(true);
        Map<String, NDArray> params = new LinkedHashMap<>();
        params.put("w", param);
        TorchAdamW[] ref = new TorchAdamW[init.length];
        for (int i = 0; i < init.length; i++) {
            ref[i] = new TorchAdamW(init[i]);
        }
        double[] lrs = {1e-2, 5e-3, 2e-2, 1e-3, 1e-2};
        try (AdamW adamw = new AdamW(params, config)) {
            for (int step = 0; step < lrs.length; step++) {
                float[] g = new float[init.length];
                for (int i = 0; i < g.length; i++) {
                    g[i] = (float) Math.sin(3.0 * i + step) * (i == 3 ? 1e-4f : 1f);
                    ref[i].step(g[i], lrs[step], config);
                }
                try (NDManager scope = manager.newSubManager()) {
                    NDArray grad = scope.create(g).reshape(2, 3);
                    adamw.update(lrs[step], Map.of("w", grad), scope);
                }
            }
            assertThat(adamw.step()).isEqualTo(lrs.length);
            float[] got = param.toFloatArray();
            for (int i = 0; i < got.length; i++) {
                assertThat((double) got[i]).as("element %d", i).isCloseTo(ref[i].p, within(2e-6));
            }
            float[] v = adamw.secondMoments().get("w").toFloatArray();
            assertThat((double) v[0]).isCloseTo(ref[0].v, within(1e-7));
            // the same NDArray object was updated in place, and it still requires a gradient
            assertThat(params.get("w").hasGradient()).isTrue();
        }
    }

    @Test
    void stopGradientViewSharesStorageWithTheParameter() {
        NDArray param = manager.create(new float[]{1f, 2f});
        param.setRequiresGradient(true);
        try (NDArray view = param.stopGradient()) {
            view.muli(manager.create(3f));
        }
        assertThat(param.toFloatArray()).containsExactly(3f, 6f);
    }

    @Test
    void gradientsAccumulateAcrossBackwardPassesUntilReleased() {
        NDArray w = manager.create(new float[]{1f, -2f});
        w.setRequiresGradient(true);
        Engine engine = Engine.getInstance();
        for (int pass = 0; pass < 2; pass++) {
            try (GradientCollector gc = engine.newGradientCollector(); NDManager scope = manager.newSubManager()) {
                NDArray x = scope.create(new float[]{3f, 4f});
                gc.backward(w.mul(x).sum());
            }
        }
        Map<String, NDArray> params = Map.of("w", w);
        try (NDManager scope = manager.newSubManager()) {
            // DJL's collector does not zero: two passes of d(w.x)/dw = x accumulate to 2x
            assertThat(ParameterGradients.views(params, scope).get("w").toFloatArray()).containsExactly(6f, 8f);
        }
        ParameterGradients.release(params);
        try (NDManager scope = manager.newSubManager()) {
            assertThat(ParameterGradients.views(params, scope).get("w").toFloatArray()).containsExactly(0f, 0f);
        }
    }

    @Test
    void releasedGradientsAreFreedWhileTheSameArrayKeepsItsValuesAndLearnsAfresh() {
        NDArray w = manager.create(new float[]{1f, -2f});
        w.setRequiresGradient(true);
        Engine engine = Engine.getInstance();
        try (GradientCollector gc = engine.newGradientCollector(); NDManager scope = manager.newSubManager()) {
            gc.backward(w.mul(scope.create(new float[]{3f, 4f})).sum());
        }
        Map<String, NDArray> params = Map.of("w", w);
        int arrays = manager.getManagedArrays().size();
        try (NDManager scope = manager.newSubManager()) {
            NDArray old = ParameterGradients.views(params, scope).get("w");
            ParameterGradients.release(params);
            // the old gradient is no longer the parameter's: changing it leaves the parameter's (absent) gradient alone
            old.muli(scope.create(10f));
            assertThat(old.toFloatArray()).containsExactly(30f, 40f);
            assertThat(ParameterGradients.views(params, scope).get("w").toFloatArray()).containsExactly(0f, 0f);
        }
        assertThat(manager.getManagedArrays()).hasSize(arrays);
        assertThat(params.get("w")).isSameAs(w);
        assertThat(w.toFloatArray()).containsExactly(1f, -2f);
        assertThat(w.hasGradient()).isTrue();
        // the next backward starts from nothing (no accumulation into the released gradient) and reaches the same array
        try (GradientCollector gc = engine.newGradientCollector(); NDManager scope = manager.newSubManager()) {
            gc.backward(w.mul(scope.create(new float[]{5f, 7f})).sum());
        }
        try (NDManager scope = manager.newSubManager()) {
            assertThat(ParameterGradients.views(params, scope).get("w").toFloatArray()).containsExactly(5f, 7f);
        }
        // in-place updates under no-grad still change the live weight
        try (NDArray view = w.stopGradient()) {
            view.subi(manager.create(1f));
        }
        assertThat(w.toFloatArray()).containsExactly(0f, -3f);
        ParameterGradients.release(params);
    }

    @Test
    void globalNormClippingScalesAllGradientsTogether() {
        Map<String, NDArray> grads = new LinkedHashMap<>();
        try (NDManager scope = manager.newSubManager(); ScalarArrays s = ScalarArrays.perStep()) {
            grads.put("a", scope.create(new float[]{3f, 0f}));
            grads.put("b", scope.create(new float[]{0f, 4f}));
            NDArray norm = GradientClipping.clip(grads, 1.0, scope, s);
            assertThat((double) norm.getFloat()).isCloseTo(5.0, within(1e-6));
            double coef = 1.0 / (5.0 + 1e-6);
            assertThat((double) grads.get("a").getFloat(0)).isCloseTo(3 * coef, within(1e-6));
            assertThat((double) grads.get("b").getFloat(1)).isCloseTo(4 * coef, within(1e-6));
            // below the threshold nothing changes
            NDArray again = GradientClipping.clip(grads, 10.0, scope, s);
            assertThat((double) again.getFloat()).isCloseTo(1.0, within(1e-5));
            assertThat((double) grads.get("b").getFloat(1)).isCloseTo(4 * coef, within(1e-6));
        }
    }

    @Test
    void updateLeavesNoArraysInTheModelOrStateManagers() {
        NDManager model = manager.newSubManager();
        NDArray w = model.randomNormal(new ai.djl.ndarray.types.Shape(4, 4));
        w.setRequiresGradient(true);
        Map<String, NDArray> params = Map.of("w", w);
        try (AdamW adamw = new AdamW(params, AdamWConfig.torch())) {
            int before = model.getManagedArrays().size();
            for (int i = 0; i < 5; i++) {
                try (NDManager scope = manager.newSubManager()) {
                    Map<String, NDArray> g = Map.of("w", scope.ones(new ai.djl.ndarray.types.Shape(4, 4)));
                    adamw.update(1e-3, g, scope);
                }
            }
            assertThat(model.getManagedArrays()).hasSize(before);
        }
        model.close();
    }

    @Test
    void masterWeightsKeepFullPrecisionAndWriteBackToHalfParameters() {
        AdamWConfig config = new AdamWConfig(0.9, 0.999, 1e-8, 0.0);
        float[] init = {1.0f, -0.5f, 0.25f}; // exactly representable in float16
        NDArray param = manager.create(init).toType(ai.djl.ndarray.types.DataType.FLOAT16, false);
        Map<String, NDArray> params = Map.of("w", param);
        try (AdamW adamw = new AdamW(params, config)) {
            assertThat(adamw.masterWeights()).containsOnlyKeys("w");
            TorchAdamW[] ref = {new TorchAdamW(init[0]), new TorchAdamW(init[1]), new TorchAdamW(init[2])};
            for (int step = 0; step < 3; step++) {
                float[] g = {1e-3f, -2e-3f, 5e-4f};
                for (int i = 0; i < 3; i++) {
                    ref[i].step(g[i], 1e-4, config);
                }
                try (NDManager scope = manager.newSubManager()) {
                    adamw.update(1e-4, Map.of("w", scope.create(g)), scope);
                }
            }
            float[] master = adamw.masterWeights().get("w").toFloatArray();
            float[] half = param.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            float[] masterRoundedToHalf = manager.create(master).toType(ai.djl.ndarray.types.DataType.FLOAT16, false)
                    .toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < 3; i++) {
                // steps of ~1e-4 are below float16 resolution near 1.0; the float32 master keeps them
                assertThat((double) master[i]).isCloseTo(ref[i].p, within(1e-7));
            }
            assertThat(half).containsExactly(masterRoundedToHalf);
            assertThat(master[0]).isNotEqualTo(init[0]);
        }
    }

    @Test
    void configValidation() {
        assertThatThrownBy(() -> new AdamWConfig(1.0, 0.999, 1e-8, 0)).hasMessageContaining("beta1");
        assertThatThrownBy(() -> new AdamWConfig(0.9, 0.999, 0, 0)).hasMessageContaining("eps");
        assertThatThrownBy(() -> new AdamWConfig(0.9, 0.999, 1e-8, -1)).hasMessageContaining("weightDecay");
    }

    /**
     * The update runs on blocks of rows through a scratch buffer: blocks of 1, 3 and 7 elements' worth of rows give
     * the bit-identical weights and moments of one block per tensor, over 3 steps, with weight decay, on a matrix,
     * a vector and a 3-D tensor whose rows do not divide evenly, and leave no array behind in the step's scope.
     */
    @Test
    void blocksOfRowsGiveBitIdenticalUpdatesAndLeaveNothingBehind() {
        AdamWConfig config = new AdamWConfig(0.9, 0.999, 1e-8, 0.01);
        Map<String, float[]> expected = null;
        for (long block : new long[] {1L << 22, 1, 3, 7}) {
            java.util.Random r = new java.util.Random(1);
            Map<String, NDArray> params = new LinkedHashMap<>();
            for (ai.djl.ndarray.types.Shape shape : new ai.djl.ndarray.types.Shape[] {new ai.djl.ndarray.types.Shape(7, 5),
                    new ai.djl.ndarray.types.Shape(11), new ai.djl.ndarray.types.Shape(5, 2, 3)}) {
                float[] w = new float[(int) shape.size()];
                for (int i = 0; i < w.length; i++) {
                    w[i] = (float) r.nextGaussian();
                }
                params.put(shape.dimension() == 1 ? "vector" : shape.dimension() == 2 ? "matrix" : "cube", manager.create(w, shape));
            }
            try (AdamW adam = new AdamW(params, config, block)) {
                for (int step = 0; step < 3; step++) {
                    try (NDManager scope = manager.newSubManager()) {
                        Map<String, NDArray> grads = new LinkedHashMap<>();
                        for (Map.Entry<String, NDArray> e : params.entrySet()) {
                            float[] g = new float[(int) e.getValue().size()];
                            for (int i = 0; i < g.length; i++) {
                                g[i] = (float) r.nextGaussian();
                            }
                            grads.put(e.getKey(), scope.create(g, e.getValue().getShape()));
                        }
                        int before = scope.getManagedArrays().size();
                        adam.update(1e-2, grads, scope);
                        assertThat(scope.getManagedArrays()).hasSize(before);
                    }
                }
                Map<String, float[]> got = new LinkedHashMap<>();
                params.forEach((k, v) -> got.put(k, v.toFloatArray()));
                adam.firstMoments().forEach((k, v) -> got.put("m." + k, v.toFloatArray()));
                adam.secondMoments().forEach((k, v) -> got.put("v." + k, v.toFloatArray()));
                if (expected == null) {
                    expected = got;
                } else {
                    for (Map.Entry<String, float[]> e : got.entrySet()) {
                        assertThat(e.getValue()).as(e.getKey() + " with blocks of " + block).containsExactly(expected.get(e.getKey()));
                    }
                }
            }
            params.values().forEach(NDArray::close);
        }
        assertThat(expected.get("matrix")).hasSize(35);
    }
}
