package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Random weights for any config, large enough (std 0.3 instead of HF's 0.02) that a changed input token moves the
 * logits it can reach by far more than rounding, so "changed" and "unchanged" are unambiguous in tests. Norm
 * weights are 1 + N(0, normNoise) so that norms with non-trivial weights can be told from all-ones ones.
 */
final class RandomWeights {

    private RandomWeights() {
    }

    /** Weights of {@link WeightLayout#of(ModelConfig)} drawn from {@code seed}, arrays in {@code m}. */
    static Map<String, NDArray> draw(ModelConfig c, NDManager m, long seed, double normNoise) {
        SplittableRandom random = new SplittableRandom(seed);
        Map<String, NDArray> weights = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : WeightLayout.of(c).entrySet()) {
            boolean norm = e.getKey().endsWith("norm.weight") || e.getKey().contains("ln_");
            float[] values = new float[Math.toIntExact(e.getValue().size())];
            for (int i = 0; i < values.length; i++) {
                double g = gaussian(random);
                values[i] = (float) (norm ? 1 + normNoise * g : 0.3 * g);
            }
            weights.put(e.getKey(), m.create(values, e.getValue()));
        }
        return weights;
    }

    /**
     * A checkpoint directory: {@code configJson} as config.json and {@link #draw} weights as model.safetensors,
     * with {@code normShift} subtracted from every norm weight (1 for families that store norms as 1 + w).
     */
    static Path checkpoint(Path dir, String configJson, long seed, double normNoise, float normShift) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), configJson);
        ModelConfig c = ModelConfig.parse(configJson, "config.json");
        try (NDManager m = NDManager.newBaseManager(ai.djl.Device.cpu())) {
            Map<String, NDArray> w = draw(c, m, seed, normNoise);
            if (normShift != 0f) {
                w.forEach((name, array) -> {
                    if (name.endsWith("norm.weight")) {
                        array.subi(normShift);
                    }
                });
            }
            SafetensorsWriter.write(dir.resolve("model.safetensors"), w);
        }
        return dir;
    }

    /** A model over {@link #draw} weights, owned by a new sub-manager of {@code parent}. */
    static DecoderModel model(ModelConfig c, NDManager parent, long seed) {
        NDManager owner = parent.newSubManager();
        return new DecoderModel(c, owner, draw(c, owner, seed, 0.2));
    }

    private static double gaussian(SplittableRandom r) {
        return Math.sqrt(-2.0 * Math.log(1.0 - r.nextDouble())) * Math.cos(2.0 * Math.PI * r.nextDouble());
    }
}
