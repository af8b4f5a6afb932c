package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.TensorNames;

import java.util.List;

/**
 * What one Hugging Face model family adds to the generic decoder: how its {@code config.json} reads into
 * capabilities and is written back, how its checkpoints name the tensors, and its default LoRA targets. Adding a
 * family is one implementation of this plus a {@link ModelFamily} constant; the forward pass does not change.
 */
interface HfFamily {

    /** A builder with the family's fixed capabilities set; the sizes and per-checkpoint values are left to the caller. */
    ModelConfig.Builder builder();

    /**
     * {@code config.json} (parsed; {@code json} is its text, kept for saving) to a validated config, with
     * transformers' defaults for absent keys; refuses what the family has but the decoder does not implement.
     */
    ModelConfig read(JsonNode config, String json);

    /** Writes the family's architecture keys into {@code o} (which already holds the source's keys and the common ones). */
    void write(ModelConfig c, ObjectNode o);

    /** The family's tensor names. */
    TensorNames names();

    /** PEFT {@code target_modules} that cover every attention and MLP projection, as users of the family write them. */
    List<String> loraTargets();

    /** Whether fresh weights scale the residual projections' std by 1/sqrt(2 * layers), as the family's HF init does. */
    default boolean scaledResidualInit() {
        return false;
    }
}
