package dev.prefstream.trainer.model;

import ai.djl.Device;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * An architecture we do not implement fails when config.json is read, before any weight: the model directory
 * here has no weights file at all, so an error about anything but the config would name the missing weights.
 */
class UnsupportedArchitectureTest {

    private static final String LLAMA = """
            "vocab_size": 40, "hidden_size": 16, "num_hidden_layers": 1, "num_attention_heads": 2,
            "intermediate_size": 24, "max_position_embeddings": 32""";

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "model_type gemma3    | \"model_type\": \"gemma3\"                                  | unsupported model_type 'gemma3': only Gemma v1 (gemma) and Gemma 2 (gemma2) are implemented",
        "model_type gemma3_text | \"model_type\": \"gemma3_text\"                           | unsupported model_type 'gemma3_text': only Gemma v1 (gemma) and Gemma 2 (gemma2) are implemented; Gemma 3 needs per-head q/k norms and separate RoPE bases",
        "model_type phi       | \"model_type\": \"phi\"                                     | unsupported model_type 'phi' (supported: gpt2, llama, mistral, qwen2, qwen3, phi3, gemma, gemma2, gpt_neox, opt)",
        "phi3 longrope        | \"model_type\": \"phi3\", \"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": [1.0], \"long_factor\": [2.0]} | rope_scaling.rope_type 'longrope' is not supported (supported: default, linear, llama3)",
        "phi3 partial rotary  | \"model_type\": \"phi3\", \"partial_rotary_factor\": 0.75 | partial_rotary_factor 0.75 is not supported",
        "gemma exact gelu     | \"model_type\": \"gemma\", \"hidden_act\": \"gelu\"          | gemma hidden_activation 'gelu' is not supported (gelu_pytorch_tanh; exact-erf gelu is not implemented)",
        "model_type qwen2_moe | \"model_type\": \"qwen2_moe\"                               | unsupported model_type 'qwen2_moe'",
        "llama hidden_act     | \"model_type\": \"llama\", \"hidden_act\": \"gelu\"          | llama hidden_act 'gelu' is not supported (silu)",
        "qwen3 hidden_act     | \"model_type\": \"qwen3\", \"hidden_act\": \"relu\"          | qwen3 hidden_act 'relu' is not supported",
        "rope yarn            | \"model_type\": \"qwen2\", \"rope_scaling\": {\"type\": \"yarn\", \"factor\": 4.0} | rope_scaling.rope_type 'yarn' is not supported (supported: default, linear, llama3)",
        "rope dynamic         | \"model_type\": \"llama\", \"rope_parameters\": {\"rope_type\": \"dynamic\", \"factor\": 2.0} | rope_parameters.rope_type 'dynamic' is not supported",
        "partial rotary       | \"model_type\": \"mistral\", \"partial_rotary_factor\": 0.5 | partial_rotary_factor 0.5 is not supported",
        "layer_types          | \"model_type\": \"qwen3\", \"use_sliding_window\": true, \"layer_types\": [\"chunked_attention\"] | layer_types[0] 'chunked_attention' is not supported",
    })
    void failsAtReadTimeNamingTheConfigFileAndTheValue(String name, String keys, String message) throws IOException {
        Path dir = tmp.resolve(name.replace(' ', '_'));
        Files.createDirectories(dir);
        Path config = dir.resolve("config.json");
        Files.writeString(config, "{" + keys + ", " + LLAMA + "}");
        assertThatThrownBy(() -> HfModelLoader.load(dir, Device.cpu()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith(config + ": ")
                .hasMessageContaining(message);
    }

    @ParameterizedTest(name = "gpt2 {0}")
    @CsvSource({"relu", "gelu"})
    void gpt2ActivationsOtherThanTheTanhGeluAreRefused(String activation) throws IOException {
        Path dir = tmp.resolve("gpt2-" + activation);
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), """
                {"model_type": "gpt2", "vocab_size": 40, "n_embd": 16, "n_layer": 1, "n_head": 2,
                 "n_positions": 32, "activation_function": "%s"}""".formatted(activation));
        assertThatThrownBy(() -> HfModelLoader.load(dir, Device.cpu()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("activation_function '" + activation + "' is not supported");
    }
}
