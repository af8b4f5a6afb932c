package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.TensorNames;

import java.util.List;

/**
 * What one Hugging Face model family adds to the generic decoder: how its {@code config.json} reads into
 * capabilities and is written back, how its checkpoints name the tensors, and its default LoRA targets. Adding a
 * family is one subclass of this plus a {@link ModelFamily} constant; the forward pass does not change.
 */
abstract class HfFamily {

    private final TensorNames names;
    private final List<String> loraTargets;

    /**
     * @param names       the family's tensor names
     * @param loraTargets PEFT {@code target_modules} that cover every attention and MLP projection, as users of the
     *                    family write them
     */
    HfFamily(TensorNames names, List<String> loraTargets) {
        this.names = names;
        this.loraTargets = List.copyOf(loraTargets);
    }

    /** A builder with the family's fixed capabilities set; the sizes and per-checkpoint values are left to the caller. */
    abstract ModelConfig.Builder builder();

    /**
     * {@code config.json} (parsed; {@code json} is its text, kept for saving) to a validated config, with
     * transformers' defaults for absent keys; refuses what the family has but the decoder does not implement.
     */
    abstract ModelConfig read(JsonNode config, String json);

    /** Writes the family's architecture keys into {@code o} (which already holds the source's keys and the common ones). */
    abstract void write(ModelConfig c, ObjectNode o);

    /** The family's tensor names. */
    final TensorNames names() {
        return names;
    }

    /** PEFT {@code target_modules} that cover every attention and MLP projection, as users of the family write them. */
    final List<String> loraTargets() {
        return loraTargets;
    }

    /** Whether fresh weights scale the residual projections' std by 1/sqrt(2 * layers), as the family's HF init does. */
    boolean scaledResidualInit() {
        return false;
    }
}
