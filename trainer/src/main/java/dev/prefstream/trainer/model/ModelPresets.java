package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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

    /** Random weights for any config (drawn in Java, layout order), owned by {@code manager}. */
    public static DecoderModel initialize(ModelConfig config, NDManager manager, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double residualStd = 0.02 / Math.sqrt(2.0 * config.numLayers());
        Map<String, NDArray> weights = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : WeightLayout.of(config).entrySet()) {
            String name = e.getKey();
            Shape shape = e.getValue();
            float[] values = new float[Math.toIntExact(shape.size())];
            if (shape.dimension() == 1) {
                if (isNormWeight(name)) {
                    java.util.Arrays.fill(values, 1f);
                }
            } else {
                double std = config.family() == ModelConfig.Family.GPT2 && name.endsWith("c_proj.weight")
                        ? residualStd : 0.02;
                for (int i = 0; i < values.length; i++) {
                    values[i] = (float) (gaussian(random) * std);
                }
            }
            weights.put(name, manager.create(values, shape));
        }
        return new DecoderModel(config, manager, weights);
    }

    private static boolean isNormWeight(String name) {
        return name.endsWith(".weight")
                && (name.contains("ln_") || name.contains("layernorm") || name.endsWith("_norm.weight")
                || name.equals("model.norm.weight"));
    }

    /** Box-Muller, so that the sequence does not depend on java.util.Random's internals. */
    private static double gaussian(SplittableRandom r) {
        double u1 = r.nextDouble();
        double u2 = r.nextDouble();
        return Math.sqrt(-2.0 * Math.log(1.0 - u1)) * Math.cos(2.0 * Math.PI * u2);
    }
}
