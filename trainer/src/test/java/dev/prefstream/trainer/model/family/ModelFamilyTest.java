package dev.prefstream.trainer.model.family;

import dev.prefstream.trainer.lora.LoraTarget;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelFormatException;
import dev.prefstream.trainer.model.Part;
import dev.prefstream.trainer.model.WeightLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The registry's contract, for every family: its reader and writer agree (config.json written from a config reads
 * back to the same capabilities), its tensor names cover exactly the parts its capabilities imply, once each, and
 * its default LoRA targets select every attention and MLP projection and nothing else.
 */
class ModelFamilyTest {

    /** A minimal two-layer config.json of {@code f}, with transformers' defaults for everything else. */
    private static String minimalConfig(ModelFamily f) {
        String sizes = switch (f) {
            case GPT2 -> "\"n_embd\": 16, \"n_layer\": 2, \"n_head\": 2, \"n_positions\": 32";
            case GPT_NEOX -> "\"hidden_size\": 16, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, "
                    + "\"intermediate_size\": 24, \"max_position_embeddings\": 32";
            case OPT -> "\"hidden_size\": 16, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, \"ffn_dim\": 24, "
                    + "\"max_position_embeddings\": 32";
            default -> "\"hidden_size\": 16, \"num_hidden_layers\": 2, \"num_attention_heads\": 2, "
                    + "\"num_key_value_heads\": 1, \"head_dim\": 8, \"intermediate_size\": 24, "
                    + "\"max_position_embeddings\": 32";
        };
        return "{\"model_type\": \"" + f.modelType() + "\", \"vocab_size\": 40, \"eos_token_id\": 2, " + sizes + "}";
    }

    @ParameterizedTest
    @EnumSource(ModelFamily.class)
    void whatTheWriterWritesTheReaderReadsBack(ModelFamily f) {
        ModelConfig c = ModelConfig.parse(minimalConfig(f), "config.json");
        assertThat(c.modelType()).isEqualTo(f.modelType());
        assertThat(ModelFamily.of(c)).isEqualTo(f);
        ModelConfig back = ModelConfig.parse(c.toJson(), "saved/config.json");
        assertThat(back.withoutSource()).isEqualTo(c.withoutSource());
        // a second round trip from the saved text changes nothing either
        assertThat(ModelConfig.parse(back.toJson(), "again/config.json").withoutSource()).isEqualTo(c.withoutSource());
    }

    @ParameterizedTest
    @EnumSource(ModelFamily.class)
    void theNamesCoverEveryPartTheCapabilitiesImplyOnceEach(ModelFamily f) {
        ModelConfig c = ModelConfig.parse(minimalConfig(f), "config.json");
        List<WeightLayout.Tensor> tensors = WeightLayout.tensors(c);
        Set<String> names = new HashSet<>();
        Set<Part> parts = new HashSet<>();
        for (WeightLayout.Tensor t : tensors) {
            assertThat(names.add(t.name())).as(t.name()).isTrue();
            assertThat(WeightLayout.has(c, t.part())).as(t.name()).isTrue();
            parts.add(t.part());
        }
        for (Part p : Part.values()) {
            assertThat(parts.contains(p)).as(p.name()).isEqualTo(WeightLayout.has(c, p));
        }
        assertThat(WeightLayout.embeddingName(c)).isIn(names);
    }

    @ParameterizedTest
    @EnumSource(value = ModelFamily.class, names = "PHI3", mode = EnumSource.Mode.EXCLUDE)
    void theDefaultLoraTargetsAreExactlyTheBlockProjections(ModelFamily f) {
        ModelConfig c = ModelConfig.parse(minimalConfig(f), "config.json");
        Set<String> expected = new HashSet<>();
        for (WeightLayout.Tensor t : WeightLayout.tensors(c)) {
            if (t.part().isBlockProjection() && !t.bias()) {
                expected.add(t.name());
            }
        }
        List<LoraTarget> targets = LoraTarget.resolve(c, f.loraTargets());
        assertThat(targets).extracting(LoraTarget::weight).containsExactlyInAnyOrderElementsOf(expected);
        assertThat(targets).allMatch(t -> t.fanInFanOut() == c.conv1dWeights());
    }

    @Test
    void aFamilyWithFusedCheckpointTensorsRefusesLora() {
        ModelConfig c = ModelConfig.parse(minimalConfig(ModelFamily.PHI3), "config.json");
        assertThatThrownBy(() -> LoraTarget.resolve(c, ModelFamily.PHI3.loraTargets()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("phi3").hasMessageContaining("qkv_proj").hasMessageContaining("--lora-rank 0");
    }

    @Test
    void theRegistryListsTheTypesAndNamesWhatItLacks() {
        assertThat(ModelFamily.modelTypes()).containsExactly("gpt2", "llama", "mistral", "qwen2", "qwen3", "phi3",
                "gemma", "gemma2", "gpt_neox", "opt");
        assertThatThrownBy(() -> ModelFamily.of("falcon")).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("'falcon'").hasMessageContaining("gpt_neox");
        assertThatThrownBy(() -> ModelFamily.of("gemma3")).hasMessageContaining("Gemma 3 needs");
    }
}
