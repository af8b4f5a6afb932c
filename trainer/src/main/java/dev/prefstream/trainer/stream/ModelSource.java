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
 * @param dir          HF directory, or null for a preset
 * @param preset       preset name, or null for a directory
 * @param seed         initialisation seed of a preset
 * @param chatTemplate a Jinja chat template file overriding the model's ({@code --chat-template FILE}), or null
 */
public record ModelSource(Path dir, String preset, long seed, Path chatTemplate) {

    /** Seed used for presets unless configured. */
    public static final long DEFAULT_SEED = 42;

    public ModelSource {
        if ((dir == null) == (preset == null)) {
            throw new IllegalArgumentException("exactly one of a model directory or a preset name is required");
        }
    }

    /** A source rendering with the model's own chat template (or the built-in format). */
    public ModelSource(Path dir, String preset, long seed) {
        this(dir, preset, seed, null);
    }

    /**
     * This source with its tokenizer rendering conversations with the Jinja template in {@code file} (saved into
     * every checkpoint's tokenizer_config.json, so the checkpoints are served with it).
     *
     * @throws IllegalArgumentException when the file cannot be read or is empty
     */
    public ModelSource withChatTemplate(Path file) {
        if (file != null) {
            readTemplate(file);
        }
        return new ModelSource(dir, preset, seed, file);
    }

    private static String readTemplate(Path file) {
        try {
            String text = Files.readString(file, java.nio.charset.StandardCharsets.UTF_8);
            if (text.isBlank()) {
                throw new IllegalArgumentException("--chat-template " + file + ": empty file");
            }
            return text;
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException("--chat-template " + file + ": cannot read (" + e.getMessage() + ")", e);
        }
    }

    private LoadedModel withTemplate(LoadedModel lm) {
        if (chatTemplate == null) {
            return lm;
        }
        dev.prefstream.trainer.tokenizer.TextTokenizer t;
        try {
            t = lm.tokenizer().withChatTemplate(readTemplate(chatTemplate), chatTemplate.toString());
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
        lm.tokenizer().close();
        return new LoadedModel(lm.model(), t);
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
        return withTemplate(dir != null ? HfModelLoader.loadWithTokenizer(dir, device) : ModelPresets.builtin(preset, device, seed));
    }

    /**
     * Loads the model with weights of {@code weightType} (float32, or float16 for fp16 training): a directory is
     * converted while loading; a preset is initialised in float32 (so its weights do not depend on the type) and
     * then converted, like {@code model.half()}.
     */
    public LoadedModel load(Device device, DataType weightType) {
        if (dir != null) {
            return withTemplate(HfModelLoader.loadWithTokenizer(dir, device, weightType));
        }
        LoadedModel lm = withTemplate(ModelPresets.builtin(preset, device, seed));
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
