package dev.prefstream.trainer.lora;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.checkpoint.lora.LoraCheckpointFiles;
import dev.prefstream.trainer.model.SafetensorsReader;
import dev.prefstream.trainer.model.SafetensorsWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * PEFT's adapter directory, what {@code PeftModel.from_pretrained} and vLLM's {@code --enable-lora} load:
 * {@code adapter_config.json} (LoraConfig fields: peft_type LORA, task_type CAUSAL_LM, r, lora_alpha, lora_dropout,
 * target_modules, bias none, fan_in_fan_out, base_model_name_or_path, use_rslora false, ...) and
 * {@code adapter_model.safetensors} with keys {@code base_model.model.<module>.lora_A.weight} [r, in] and
 * {@code ...lora_B.weight} [out, r] (float32).
 */
public final class PeftAdapterFiles {

    public static final String CONFIG_FILE = LoraCheckpointFiles.CONFIG_FILE;
    public static final String WEIGHTS_FILE = "adapter_model.safetensors";

    private static final ObjectMapper JSON = new ObjectMapper();

    private PeftAdapterFiles() {
    }

    /** Writes both files of {@code adapters} into {@code dir} (created if needed). */
    public static void write(LoraAdapters adapters, Path dir, String baseModelNameOrPath) {
        LoraConfig c = adapters.config();
        ObjectNode n = JSON.createObjectNode();
        n.putObject("alpha_pattern");
        n.putNull("auto_mapping");
        n.put("base_model_name_or_path", baseModelNameOrPath);
        n.put("bias", "none");
        boolean conv1d = adapters.targets().stream().anyMatch(LoraTarget::fanInFanOut);
        n.put("fan_in_fan_out", conv1d);
        n.put("inference_mode", true);
        n.put("init_lora_weights", true);
        n.putNull("layers_pattern");
        n.putNull("layers_to_transform");
        if (c.alpha() == Math.rint(c.alpha())) {
            n.put("lora_alpha", (long) c.alpha());
        } else {
            n.put("lora_alpha", c.alpha());
        }
        n.put("lora_dropout", c.dropout());
        n.putNull("modules_to_save");
        n.put("peft_type", "LORA");
        n.put("r", c.rank());
        n.putObject("rank_pattern");
        n.putNull("revision");
        ArrayNode t = n.putArray("target_modules");
        targetNames(adapters).forEach(t::add);
        n.put("task_type", "CAUSAL_LM");
        n.put("use_dora", false);
        n.put("use_rslora", false);
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve(CONFIG_FILE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + dir.resolve(CONFIG_FILE), e);
        }
        SafetensorsWriter.write(dir.resolve(WEIGHTS_FILE), adapters.parameters());
    }

    /** The names written as target_modules: the configured ones, or the family defaults. */
    private static List<String> targetNames(LoraAdapters adapters) {
        List<String> names = new ArrayList<>(adapters.config().targets());
        if (names.isEmpty()) {
            for (LoraTarget t : adapters.targets()) {
                String leaf = t.module().substring(t.module().lastIndexOf('.') + 1);
                if (!names.contains(leaf)) {
                    names.add(leaf);
                }
            }
        }
        return names;
    }

    /** The LoRA settings of an adapter directory (rank, alpha, dropout, target_modules). */
    public static LoraConfig readConfig(Path dir) {
        try {
            JsonNode n = JSON.readTree(dir.resolve(CONFIG_FILE).toFile());
            if (!"LORA".equals(n.path("peft_type").asText())) {
                throw new IllegalArgumentException(dir.resolve(CONFIG_FILE) + ": peft_type is '"
                        + n.path("peft_type").asText() + "', only LORA adapters are supported");
            }
            if (n.path("use_rslora").asBoolean(false) || n.path("use_dora").asBoolean(false)) {
                throw new IllegalArgumentException(dir.resolve(CONFIG_FILE) + ": rsLoRA/DoRA adapters are not supported");
            }
            List<String> targets = new ArrayList<>();
            n.path("target_modules").forEach(x -> targets.add(x.asText()));
            return new LoraConfig(n.path("r").asInt(), n.path("lora_alpha").asDouble(), n.path("lora_dropout").asDouble(0),
                    targets);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + dir.resolve(CONFIG_FILE), e);
        }
    }

    /** Loads the saved adapter tensors of {@code dir} into {@code adapters} (same targets and rank). */
    public static void load(Path dir, LoraAdapters adapters) {
        try (SafetensorsReader reader = SafetensorsReader.open(dir.resolve(WEIGHTS_FILE));
             NDManager tmp = NDManager.newBaseManager(adapters.parameters().values().iterator().next().getDevice())) {
            Map<String, NDArray> saved = new LinkedHashMap<>();
            for (String key : reader.entries().keySet()) {
                saved.put(key, reader.read(key, tmp));
            }
            adapters.load(saved);
        }
    }
}
