package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import java.nio.file.Path;
import java.util.Collection;

import static org.assertj.core.api.Assertions.assertThat;

/** Checks every family test runs on its own random checkpoint, whatever the family's graph. */
final class FamilyChecks {

    private FamilyChecks() {
    }

    /**
     * One backward pass of the summed log-prob must reach the named parameters; decoding the same tokens one at a
     * time through a {@link KvCache} must give every position's full-pass logits; nothing may be left in the
     * model's manager.
     *
     * @param gradientNames parameters that must get a gradient; empty means every parameter
     * @param minGradient   the smallest acceptable max |gradient| of each
     */
    static void gradientsAndCachedDecoding(Path dir, long[] tokens, Collection<String> gradientNames, float minGradient) {
        try (DecoderModel model = HfModelLoader.load(dir, Device.cpu())) {
            model.setTrainable(true);
            int before = model.manager().getManagedArrays().size();
            try (NDManager scope = model.manager().newSubManager()) {
                NDArray input = scope.create(tokens, new Shape(1, tokens.length));
                NDArray lossMask = scope.ones(new Shape(1, tokens.length), DataType.INT64);
                float[] full = model.forward(input, null).toFloatArray();
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.forward(input, null);
                    gc.backward(SequenceLogProbs.sumLogProbs(logits, input, lossMask).neg());
                }
                Collection<String> names = gradientNames.isEmpty() ? model.parameters().keySet() : gradientNames;
                for (String name : names) {
                    NDArray g = model.parameters().get(name).getGradient();
                    g.attach(scope);
                    assertThat(g.abs().max().getFloat()).as(name).isGreaterThan(minGradient);
                }
                try (KvCache cache = new KvCache(scope, model.config().numLayers())) {
                    int v = model.config().vocabSize();
                    for (int i = 0; i < tokens.length; i++) {
                        try (NDManager step = scope.newSubManager()) {
                            float[] one = model.forward(step.create(new long[] {tokens[i]}, new Shape(1, 1)), null,
                                    null, cache).toFloatArray();
                            float worst = 0;
                            for (int j = 0; j < v; j++) {
                                worst = Math.max(worst, Math.abs(one[j] - full[i * v + j]));
                            }
                            assertThat(worst).as("cached position %d", i).isLessThan(1e-4f);
                        }
                    }
                }
            }
            model.setTrainable(false);
            assertThat(model.manager().getManagedArrays()).as("arrays in the model's manager").hasSize(before);
        }
    }

    /** The float16 model's logits stay within 2% of the largest float32 logit, and its forward leaves no arrays. */
    static void float16StaysCloseAndLeavesNothing(Path dir) {
        try (DecoderModel full = HfModelLoader.load(dir, Device.cpu());
             DecoderModel half = HfModelLoader.load(dir, Device.cpu(), DataType.FLOAT16);
             NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray ids = m.create(new long[] {3, 11, 25, 4, 17}, new Shape(1, 5));
            float[] expected = full.forward(ids, null).toFloatArray();
            int before = half.manager().getManagedArrays().size();
            float[] actual = half.forward(ids, null).toFloatArray();
            assertThat(half.manager().getManagedArrays()).hasSize(before);
            double worst = 0;
            double largest = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                largest = Math.max(largest, Math.abs(expected[i]));
            }
            assertThat(worst).isLessThan(0.02 * largest);
        }
    }
}
