package dev.prefstream.checkpoint.lora;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.checkpoint.format.CheckpointLayout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a LoRA checkpoint directory says about itself, read from its files alone (no model, no DJL): whether it is
 * one (PEFT's {@code adapter_config.json}) and which frozen base its adapters need. The publisher, the
 * {@link dev.prefstream.checkpoint.follow.CheckpointFollower} and serving read it; loading the model itself is the
 * trainer's {@code LoraCheckpoints}.
 */
public final class LoraCheckpointFiles {

    /** PEFT's adapter config file; its presence makes a directory an adapter (or LoRA checkpoint) directory. */
    public static final String CONFIG_FILE = "adapter_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private LoraCheckpointFiles() {
    }

    /** Whether {@code dir} is a LoRA checkpoint or adapter directory (PEFT's adapter_config.json). */
    public static boolean isLora(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG_FILE));
    }

    /** The adapter's base_model_name_or_path, or null. */
    public static String baseModelNameOrPath(Path dir) {
        try {
            JsonNode n = JSON.readTree(dir.resolve(CONFIG_FILE).toFile());
            return n.hasNonNull("base_model_name_or_path") ? n.get("base_model_name_or_path").asText() : null;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(CONFIG_FILE), e);
        }
    }

    /**
     * The base a LoRA checkpoint was trained on: {@code trainer-state/base.json} (path + SHA-256), or for a bare
     * adapter directory its {@code base_model_name_or_path} hashed as it is now.
     */
    public static BaseReference baseOf(Path dir) {
        Path ref = dir.resolve(CheckpointLayout.TRAINER_STATE_DIR).resolve(BaseReference.FILE);
        if (Files.isRegularFile(ref)) {
            return BaseReference.read(ref);
        }
        String base = baseModelNameOrPath(dir);
        if (base == null || !Files.isDirectory(Path.of(base))) {
            throw new IllegalArgumentException(dir + ": adapter without a local base model (base_model_name_or_path "
                    + base + ")");
        }
        return BaseReference.of(Path.of(base));
    }
}
