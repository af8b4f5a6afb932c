package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.tokenizer.TextTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Writes a model as a Hugging Face directory that transformers' {@code from_pretrained} (and vLLM) load unchanged:
 * {@code config.json}, {@code model.safetensors} (in the source model's dtype, see {@link StorageDtype}: a bf16 or
 * fp16 model is saved as such, float32 otherwise; the family's tensor names ({@link TensorNames}), a tied head omitted
 * as HF does, fused tensors fused again as the family stores them (Phi-3's q/k/v and gate/up)),
 * {@code generation_config.json} and the tokenizer files. Each file is written whole before the next; making the
 * directory appear atomically is the checkpoint writer's job.
 */
public final class HfModelSaver {

    /** Name of the generation defaults file. */
    public static final String GENERATION_CONFIG_FILE = "generation_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    private HfModelSaver() {
    }

    /**
     * Saves into {@code dir} (created if needed).
     *
     * @param tokenizer written alongside, or null to write only the model files
     */
    public static void save(CausalLM model, Path dir, TextTokenizer tokenizer) {
        ModelConfig config = model.config();
        StorageDtype stored = StorageDtype.of(config);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(HfModelLoader.CONFIG_FILE), config.toJson(stored), StandardCharsets.UTF_8);
            try (NDManager scratch = model.manager().newSubManager()) {
                // fused checkpoint tensors (Phi-3's): the fused copies live only while the file is written
                SafetensorsWriter.write(dir.resolve(HfModelLoader.WEIGHTS_FILE),
                        FusedProjections.toStored(config, model.parameters(), scratch), Map.of("format", "pt"), stored);
            }
            ObjectNode gen = JSON.createObjectNode();
            if (config.bosTokenId() != null) {
                gen.put("bos_token_id", config.bosTokenId());
            }
            if (config.eosTokenId() != null) {
                gen.put("eos_token_id", config.eosTokenId());
            }
            Files.writeString(dir.resolve(GENERATION_CONFIG_FILE),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(gen), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save model to " + dir, e);
        }
        if (tokenizer != null) {
            tokenizer.save(dir);
        }
    }
}
