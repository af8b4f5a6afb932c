package dev.prefstream.trainer.stream;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.model.ModelPresets;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where the initial policy comes from: a Hugging Face directory, or a built-in preset initialised from a seed
 * (same seed, same weights, so the trainer and a separate publisher agree on the initial model without copying it).
 *
 * @param dir    HF directory, or null for a preset
 * @param preset preset name, or null for a directory
 * @param seed   initialisation seed of a preset
 */
public record ModelSource(Path dir, String preset, long seed) {

    /** Seed used for presets unless configured. */
    public static final long DEFAULT_SEED = 42;

    public ModelSource {
        if ((dir == null) == (preset == null)) {
            throw new IllegalArgumentException("exactly one of a model directory or a preset name is required");
        }
    }

    /** {@code --model DIR|preset}: an existing directory wins, else a preset name, else an error naming both. */
    public static ModelSource parse(String spec, long seed) {
        Path p = Path.of(spec);
        if (Files.isDirectory(p)) {
            return new ModelSource(p, null, seed);
        }
        if (ModelPresets.isPreset(spec)) {
            return new ModelSource(null, spec, seed);
        }
        throw new IllegalArgumentException("--model '" + spec + "' is neither a directory nor a preset (presets: "
                + String.join(", ", ModelPresets.names()) + ")");
    }

    /** Loads the model with its tokenizer onto {@code device}. */
    public LoadedModel load(Device device) {
        return dir != null ? HfModelLoader.loadWithTokenizer(dir, device) : ModelPresets.builtin(preset, device, seed);
    }

    /**
     * Loads the model with weights of {@code weightType} (float32, or float16 for fp16 training): a directory is
     * converted while loading; a preset is initialised in float32 (so its weights do not depend on the type) and
     * then converted, like {@code model.half()}.
     */
    public LoadedModel load(Device device, DataType weightType) {
        if (dir != null) {
            return HfModelLoader.loadWithTokenizer(dir, device, weightType);
        }
        LoadedModel lm = ModelPresets.builtin(preset, device, seed);
        if (lm.model().dtype() == weightType) {
            return lm;
        }
        DecoderModel converted;
        try {
            converted = lm.model().toDtype(weightType);
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
        lm.model().close();
        return new LoadedModel(converted, lm.tokenizer());
    }

    /** How manifests record it: the directory's absolute path or {@code preset:<name>:<seed>}. */
    public String describe() {
        return dir != null ? dir.toAbsolutePath().toString() : "preset:" + preset + ":" + seed;
    }

    /** Inverse of {@link #describe()}. */
    public static ModelSource fromDescription(String d) {
        if (d.startsWith("preset:")) {
            String[] parts = d.split(":");
            return new ModelSource(null, parts[1], parts.length > 2 ? Long.parseLong(parts[2]) : DEFAULT_SEED);
        }
        return new ModelSource(Path.of(d), null, DEFAULT_SEED);
    }
}
