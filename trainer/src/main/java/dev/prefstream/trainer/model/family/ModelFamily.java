package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelFormatException;
import dev.prefstream.trainer.model.TensorNames;

import java.util.Arrays;
import java.util.List;

/**
 * The Hugging Face families this project loads, trains and saves, by {@code model_type}: each one is a config
 * reader/writer and a tensor-name mapping ({@link HfFamily}) over the one capability-driven decoder. Adding a family
 * = a new {@link HfFamily} class and a constant here.
 */
public enum ModelFamily {
    GPT2("gpt2", new Gpt2Family()),
    LLAMA("llama", new LlamaFamily()),
    MISTRAL("mistral", new MistralFamily()),
    QWEN2("qwen2", new Qwen2Family()),
    QWEN3("qwen3", new Qwen3Family()),
    PHI3("phi3", new Phi3Family()),
    GEMMA("gemma", new GemmaFamily()),
    GEMMA2("gemma2", new Gemma2Family()),
    GPT_NEOX("gpt_neox", new GptNeoxFamily()),
    OPT("opt", new OptFamily());

    private final String modelType;
    private final HfFamily family;

    ModelFamily(String modelType, HfFamily family) {
        this.modelType = modelType;
        this.family = family;
    }

    /** The family's {@code model_type}. */
    public String modelType() {
        return modelType;
    }

    /** Every supported {@code model_type}, in registry order. */
    public static List<String> modelTypes() {
        return Arrays.stream(values()).map(ModelFamily::modelType).toList();
    }

    /** Whether {@code modelType} names a family. */
    public static boolean supports(String modelType) {
        return Arrays.stream(values()).anyMatch(f -> f.modelType.equals(modelType));
    }

    /**
     * The family of {@code modelType}.
     *
     * @throws ModelFormatException naming the supported types (and, for a newer Gemma, what it would need)
     */
    public static ModelFamily of(String modelType) {
        for (ModelFamily f : values()) {
            if (f.modelType.equals(modelType)) {
                return f;
            }
        }
        if (modelType != null && modelType.startsWith("gemma")) {
            throw new ModelFormatException("unsupported model_type '" + modelType + "': only Gemma v1 (gemma) and "
                    + "Gemma 2 (gemma2) are implemented; Gemma 3 needs per-head q/k norms and separate RoPE bases for "
                    + "local and global layers, which this decoder does not have");
        }
        throw new ModelFormatException("unsupported model_type '" + modelType + "' (supported: "
                + String.join(", ", modelTypes()) + ")");
    }

    /** The family of a config. */
    public static ModelFamily of(ModelConfig config) {
        return of(config.modelType());
    }

    /** A config builder with the family's fixed capabilities set (sizes left to the caller). */
    public ModelConfig.Builder builder() {
        return family.builder();
    }

    /** Reads a parsed config.json of this family ({@code json}: its text, kept for saving). */
    public ModelConfig read(JsonNode config, String json) {
        return family.read(config, json);
    }

    /** Writes the family's architecture keys of {@code c} into a config.json object. */
    public void write(ModelConfig c, ObjectNode o) {
        family.write(c, o);
    }

    /** How the family's checkpoints name the model's parts. */
    public TensorNames names() {
        return family.names();
    }

    /** The PEFT target_modules for every attention and MLP projection, as the family's users write them. */
    public List<String> loraTargets() {
        return family.loraTargets();
    }

    /** Whether fresh weights scale the residual projections' std by 1/sqrt(2 * layers) (GPT-2's init). */
    public boolean scaledResidualInit() {
        return family.scaledResidualInit();
    }
}
