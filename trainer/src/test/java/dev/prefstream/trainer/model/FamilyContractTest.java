package dev.prefstream.trainer.model;

import ai.djl.Device;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * The checks every family passes the same way, one parameterized test per check and one case per family shape (the
 * cases the per-family test classes used to repeat, kept one for one: same configs, seeds and bounds). What is
 * particular to a family (its config defaults, its reference forward pass, its saved keys) stays in its own class.
 */
class FamilyContractTest {

    /** Tokens that every gradient / cached-decoding case runs. */
    private static final long[] TOKENS = {4, 19, 8, 30, 2, 2, 11};
    /** Right-padded batch of three lengths. */
    private static final long[][] PADDED = {{3, 14, 15, 9, 26, 5, 35}, {8, 9, 7}, {21, 1, 1, 39, 2}};

    @TempDir
    Path tmp;

    /**
     * A family's tiny random checkpoint.
     *
     * @param name       for the test's display name
     * @param configJson its config.json
     * @param normShift  subtracted from the drawn norm weights (1 for families that store norms as w with scale 1 + w)
     */
    record Shape(String name, String configJson, float normShift) {
        Path checkpoint(Path dir, long seed) throws IOException {
            return RandomWeights.checkpoint(dir, configJson, seed, 0.3, normShift);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private static Shape gemma(int layers) {
        return new Shape("gemma", GemmaTest.config(layers), 1f);
    }

    private static Shape gemma2(int layers) {
        return new Shape("gemma2 capped", Gemma2Test.capped(layers), 1f);
    }

    private static Shape qwen3(int layers) {
        return new Shape("qwen3", Qwen3Test.config(layers), 0f);
    }

    private static Shape pythia(int layers) {
        return new Shape("gpt_neox pythia-like", GptNeoxTest.pythiaLike(layers), 0f);
    }

    private static Shape opt125m(int layers) {
        return new Shape("opt pre-LN tied", OptTest.opt125mLike(layers), 0f);
    }

    private static Shape opt350m(int layers) {
        return new Shape("opt post-LN projected untied", OptTest.opt350mLike(layers), 0f);
    }

    static Stream<Shape> float16Cases() {
        return Stream.of(gemma(1), gemma2(2), pythia(1), opt350m(1));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("float16Cases")
    void float16StaysCloseAndLeavesNothingInTheModel(Shape shape) throws IOException {
        FamilyChecks.float16StaysCloseAndLeavesNothing(shape.checkpoint(tmp.resolve("half"), 11));
    }

    static Stream<Arguments> missingTensorCases() {
        return Stream.of(
                arguments(gemma2(2), 2L, "model.layers.1.pre_feedforward_layernorm.weight"),
                arguments(qwen3(1), 1L, "model.layers.0.self_attn.q_norm.weight"),
                arguments(pythia(2), 2L, "gpt_neox.layers.1.attention.query_key_value.weight"),
                arguments(opt350m(2), 2L, "model.decoder.project_in.weight"));
    }

    @ParameterizedTest(name = "{0}: {2}")
    @MethodSource("missingTensorCases")
    void aMissingTensorIsNamedWithTheFileAndTheModelType(Shape shape, long seed, String tensor) throws IOException {
        FamilyChecks.missingTensorIsNamed(shape.checkpoint(tmp.resolve("missing"), seed), tensor);
    }

    static Stream<Shape> paddedCases() {
        return Stream.of(gemma2(2),
                new Shape("gpt_neox sequential", GptNeoxTest.config(2, "0.25", false, "gelu", false, true), 0f),
                opt350m(2));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("paddedCases")
    void aRightPaddedBatchGivesEachSequenceItsAloneLogits(Shape shape) throws IOException {
        FamilyChecks.rightPaddedBatchEqualsEachAlone(shape.checkpoint(tmp.resolve("padded"), 23), PADDED);
    }

    /** Every parameter but k_proj's bias: it adds q . b to all of a query's scores alike, which softmax cancels. */
    private static List<String> allButKeyBias(Shape shape) {
        return WeightLayout.of(ModelConfig.parse(shape.configJson(), "config.json")).keySet().stream()
                .filter(name -> !name.endsWith("self_attn.k_proj.bias")).toList();
    }

    static Stream<Arguments> gradientCases() {
        return Stream.of(
                // the (1 + w) norms and the scaled embedding are on the graph
                arguments(gemma(2), List.of("model.norm.weight", "model.layers.1.input_layernorm.weight",
                        "model.layers.0.post_attention_layernorm.weight", "model.embed_tokens.weight"), 1e-6f),
                // 7 tokens through a window of 3; every parameter
                arguments(gemma2(2), List.of(), 1e-7f),
                arguments(pythia(2), List.of(), 1e-7f),
                arguments(opt125m(2), allButKeyBias(opt125m(2)), 1e-7f),
                arguments(opt350m(2), allButKeyBias(opt350m(2)), 1e-7f));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("gradientCases")
    void parametersGetGradientsAndCachedDecodingMatchesTheFullPass(Shape shape, List<String> names, float minGradient)
            throws IOException {
        FamilyChecks.gradientsAndCachedDecoding(shape.checkpoint(tmp.resolve("train"), 17), TOKENS, names,
                minGradient);
    }

    static Stream<Arguments> saveCases() {
        return Stream.of(
                arguments(gemma(2), List.of("\"GemmaForCausalLM\"", "\"head_dim\" : 8",
                        "\"hidden_act\" : \"gelu_pytorch_tanh\"", "\"hidden_activation\" : \"gelu_pytorch_tanh\"",
                        "\"tie_word_embeddings\" : true"), "lm_head.weight", "model.layers.1.input_layernorm.weight"),
                arguments(qwen3(2), List.of("\"Qwen3ForCausalLM\"", "\"head_dim\" : 8",
                        "\"use_sliding_window\" : false", "\"attention_bias\" : false"), "lm_head.weight",
                        "model.layers.1.self_attn.k_norm.weight"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("saveCases")
    void saveThenLoadIsBitExactAndWritesTheFamilysKeys(Shape shape, List<String> jsonFragments, String notSaved,
                                                        String reloaded) throws IOException {
        Path dir = shape.checkpoint(tmp.resolve("source"), 13);
        try (DecoderModel model = HfModelLoader.load(dir, Device.cpu())) {
            Path saved = tmp.resolve("saved");
            HfModelSaver.save(model, saved, null);
            String json = Files.readString(saved.resolve("config.json"));
            for (String fragment : jsonFragments) {
                assertThat(json).contains(fragment);
            }
            try (SafetensorsReader r = SafetensorsReader.open(saved.resolve("model.safetensors"))) {
                assertThat(r.entries()).doesNotContainKey(notSaved);
            }
            try (DecoderModel back = HfModelLoader.load(saved, Device.cpu())) {
                assertThat(back.config().withoutSource()).isEqualTo(model.config().withoutSource());
                assertThat(back.parameters()).containsKey(reloaded);
                SaveLoadRoundTripTest.assertBitIdentical(model, back);
            }
        }
    }
}
