package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prefstream.trainer.model.family.ModelFamily;
import dev.prefstream.trainer.tokenizer.ByteTokenizer;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Built-in small models that need no download (demo, tests, benchmarks): byte-level tokenizer (257 ids, EOS 256),
 * weights drawn deterministically from a seed like HF's init (normal, std 0.02; GPT-2's residual projections
 * scaled by 1/sqrt(2 * layers); norms 1, biases 0). Same seed, same weights, on any device.
 */
public final class ModelPresets {

    /** Llama-style: 4 layers, hidden 128, 4 heads / 2 KV heads, SwiGLU 256, tied head, 512 positions (~0.6M params). */
    public static final String TINY = "tiny";
    /** GPT-2-style: 4 layers, hidden 128, 4 heads, MLP 512, 512 positions (~0.9M params). */
    public static final String TINY_GPT2 = "tiny-gpt2";

    private ModelPresets() {
    }

    /** Names {@link #builtin} accepts. */
    public static List<String> names() {
        return List.of(TINY, TINY_GPT2);
    }

    /** True when {@code name} is a preset rather than a directory. */
    public static boolean isPreset(String name) {
        return names().contains(name);
    }

    /** The architecture of a preset. */
    public static ModelConfig config(String name) {
        int eos = ByteTokenizer.EOS_ID;
        return switch (name) {
            case TINY -> ModelConfig.llama(ByteTokenizer.VOCAB_SIZE, 128, 4, 4, 2, 256, 512, true, eos);
            case TINY_GPT2 -> ModelConfig.gpt2(ByteTokenizer.VOCAB_SIZE, 128, 4, 4, 512, eos);
            default -> throw new IllegalArgumentException("unknown model preset '" + name + "' (known: "
                    + String.join(", ", names()) + ")");
        };
    }

    /** A freshly initialised preset with its byte tokenizer, weights in a new base manager on {@code device}. */
    public static LoadedModel builtin(String name, Device device, long seed) {
        ModelConfig config = config(name);
        NDManager m = NDManager.newBaseManager(device);
        try {
            return new LoadedModel(initialize(config, m, seed), new ByteTokenizer());
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /** A freshly initialised preset whose weights live in a sub-manager of {@code parent}. */
    public static LoadedModel builtin(String name, NDManager parent, long seed) {
        ModelConfig config = config(name);
        NDManager m = parent.newSubManager();
        try {
            return new LoadedModel(initialize(config, m, seed), new ByteTokenizer());
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * Random weights for any config (drawn in Java, layout order), owned by {@code manager}: norm weights 1, biases 0,
     * matrices N(0, 0.02), the residual projections N(0, 0.02 / sqrt(2 * layers)) where the family's init does so.
     */
    public static DecoderModel initialize(ModelConfig config, NDManager manager, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        boolean scaledResidual = ModelFamily.of(config).scaledResidualInit();
        double residualStd = 0.02 / Math.sqrt(2.0 * config.numLayers());
        Map<String, NDArray> weights = new LinkedHashMap<>();
        for (WeightLayout.Tensor t : WeightLayout.tensors(config)) {
            Shape shape = t.shape();
            float[] values = new float[Math.toIntExact(shape.size())];
            if (shape.dimension() == 1) {
                if (t.part().isNorm() && !t.bias()) {
                    java.util.Arrays.fill(values, 1f);
                }
            } else {
                double std = scaledResidual && (t.part() == Part.ATTN_OUT || t.part() == Part.MLP_DOWN)
                        ? residualStd : 0.02;
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (gaussian(random) * std);
                }
            }
            weights.put(t.name(), manager.create(values, shape));
        }
        return new DecoderModel(config, manager, weights);
    }

    /** Box-Muller, so that the sequence does not depend on java.util.Random's internals. */
    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
