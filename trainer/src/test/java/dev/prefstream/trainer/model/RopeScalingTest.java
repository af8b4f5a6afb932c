package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/**
 * RoPE scaling: the inverse frequencies against the published formulas (computed here independently), both config
 * formats (transformers 4 {@code rope_scaling}, 5 {@code rope_parameters}), the forward pass using them, the
 * config.json round trip, and clear refusals of the types that are not implemented.
 */
class RopeScalingTest {

    private static final String BASE = """
            "model_type": "llama", "vocab_size": 40, "hidden_size": 32, "num_hidden_layers": 2,
            "num_attention_heads": 2, "num_key_value_heads": 1, "intermediate_size": 48,
            "max_position_embeddings": 64, "tie_word_embeddings": false""";

    private static ModelConfig config(String extra) {
        return ModelConfig.parse("{" + BASE + (extra.isEmpty() ? "" : ", " + extra) + "}", "x/config.json");
    }

    /** theta^(-2i/d). */
    private static double unscaled(int i, int d, double theta) {
        return Math.exp(-Math.log(theta) * 2 * i / d);
    }

    /**
     * Llama 3.1 as published, phrased by the number of rotations a pair makes over the original context
     * ({@code r = original * inv / 2pi}): r above high_freq_factor keeps its frequency, r below low_freq_factor is
     * slowed by {@code factor}, in between the frequency is blended linearly in r.
     */
    private static double llama3Expected(double inv, double factor, double low, double high, int original) {
        double rotations = original * inv / (2 * Math.PI);
        if (rotations > high) {
            return inv;
        }
        if (rotations < low) {
            return inv / factor;
        }
        double keep = (rotations - low) / (high - low);
        return inv * (keep + (1 - keep) / factor);
    }

    @Test
    void defaultAndLinearFrequencies() {
        double[] plain = RopeScaling.NONE.inverseFrequencies(16, 10000.0);
        double[] linear = RopeScaling.linear(4.0).inverseFrequencies(16, 10000.0);
        assertThat(plain).hasSize(8);
        for (int i = 0; i < 8; i++) {
            assertThat(plain[i]).isCloseTo(unscaled(i, 16, 10000.0), within(1e-15));
            assertThat(linear[i]).isCloseTo(unscaled(i, 16, 10000.0) / 4.0, within(1e-15));
        }
    }

    @Test
    void llama3FrequenciesFollowThePublishedFormulaInAllThreeBands() {
        // d 16, theta 10000, original context 64: wavelengths 6.3 (kept, < 64/4), 19.9 and 62.8 (blended),
        // 199 and longer (divided by 8, > 64/1)
        double factor = 8;
        double low = 1;
        double high = 4;
        int original = 64;
        double[] actual = RopeScaling.llama3(factor, low, high, original).inverseFrequencies(16, 10000.0);
        int kept = 0;
        int blended = 0;
        int divided = 0;
        for (int i = 0; i < 8; i++) {
            double inv = unscaled(i, 16, 10000.0);
            double expected = llama3Expected(inv, factor, low, high, original);
            assertThat(actual[i]).as("pair %d", i).isCloseTo(expected, within(1e-12 * inv));
            if (expected == inv) {
                kept++;
            } else if (Math.abs(expected - inv / factor) < 1e-15) {
                divided++;
            } else {
                blended++;
            }
        }
        assertThat(new int[] {kept, blended, divided}).containsExactly(1, 2, 5);
        // Llama 3.1 8B's published setting (theta 500000, d 128, factor 8, 1, 4, 8192): the fastest pair is kept,
        // the slowest divided by 8
        double[] llama31 = RopeScaling.llama3(8, 1, 4, 8192).inverseFrequencies(128, 500000.0);
        assertThat(llama31[0]).isEqualTo(1.0);
        assertThat(llama31[63]).isCloseTo(unscaled(63, 128, 500000.0) / 8, within(1e-18));
        for (int i = 0; i < 64; i++) {
            double inv = unscaled(i, 128, 500000.0);
            assertThat(llama31[i]).as("llama 3.1 pair %d", i)
                    .isCloseTo(llama3Expected(inv, 8, 1, 4, 8192), within(1e-12 * inv));
        }
    }

    @Test
    void bothConfigFormatsAreRead() {
        // transformers 4: rope_scaling with "type" or "rope_type", rope_theta at top level
        ModelConfig v4 = config("\"rope_theta\": 500000.0, \"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}");
        assertThat(v4.ropeScaling()).isEqualTo(RopeScaling.linear(2.0));
        assertThat(v4.ropeTheta()).isEqualTo(500000.0);
        ModelConfig v4llama3 = config("""
                "rope_theta": 500000.0, "rope_scaling": {"rope_type": "llama3", "factor": 32.0,
                 "low_freq_factor": 1.0, "high_freq_factor": 4.0, "original_max_position_embeddings": 8192}""");
        assertThat(v4llama3.ropeScaling()).isEqualTo(RopeScaling.llama3(32, 1, 4, 8192));
        // transformers 5: everything in rope_parameters; original_max_position_embeddings defaults to the context
        ModelConfig v5 = config("""
                "rope_parameters": {"rope_type": "llama3", "rope_theta": 250000.0, "factor": 8.0,
                 "low_freq_factor": 2.0, "high_freq_factor": 6.0}""");
        assertThat(v5.ropeScaling()).isEqualTo(RopeScaling.llama3(8, 2, 6, 64));
        assertThat(v5.ropeTheta()).isEqualTo(250000.0);
        // a null / empty rope_scaling next to rope_parameters defers to rope_parameters, as transformers does
        ModelConfig both = config("""
                "rope_scaling": null, "rope_parameters": {"rope_type": "linear", "factor": 3.0, "rope_theta": 1e4}""");
        assertThat(both.ropeScaling()).isEqualTo(RopeScaling.linear(3.0));
        // a file carrying both (transformers 5 keeps rope_scaling for old readers): theta still from rope_parameters
        ModelConfig mixed = config("""
                "rope_scaling": {"rope_type": "linear", "factor": 2.0},
                "rope_parameters": {"rope_type": "linear", "factor": 2.0, "rope_theta": 1000000.0}""");
        assertThat(mixed.ropeTheta()).isEqualTo(1000000.0);
        assertThat(config("").ropeScaling()).isEqualTo(RopeScaling.NONE);
    }

    @Test
    void unsupportedTypesAndSettingsFailWhenTheConfigIsRead() {
        for (String type : new String[] {"yarn", "longrope", "dynamic", "su"}) {
            assertThatThrownBy(() -> config("\"rope_scaling\": {\"rope_type\": \"" + type + "\", \"factor\": 4.0}"))
                    .isInstanceOf(ModelFormatException.class)
                    .hasMessageStartingWith("x/config.json: rope_scaling.rope_type '" + type + "' is not supported")
                    .hasMessageContaining("default, linear, llama3");
        }
        assertThatThrownBy(() -> config("\"rope_parameters\": {\"rope_type\": \"yarn\", \"factor\": 4.0}"))
                .hasMessageContaining("rope_parameters.rope_type 'yarn'");
        assertThatThrownBy(() -> config("\"rope_scaling\": {\"rope_type\": \"linear\"}"))
                .hasMessageContaining("rope_scaling (linear): missing numeric key factor");
        assertThatThrownBy(() -> config("""
                "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 4.0, "high_freq_factor": 1.0}"""))
                .hasMessageContaining("high_freq_factor (1.0) > low_freq_factor (4.0)");
        assertThatThrownBy(() -> config("\"partial_rotary_factor\": 0.5"))
                .hasMessageContaining("partial_rotary_factor 0.5 is not supported");
    }

    @Test
    void theForwardPassUsesTheScaledFrequencies() {
        ModelConfig plain = config("");
        ModelConfig linear2 = plain.withRopeScaling(RopeScaling.linear(2.0));
        // llama3 with an original context of 1 token: every wavelength (>= 2 pi) is "long", so every frequency is
        // divided by the factor, which is linear scaling
        ModelConfig llama3AllDivided = plain.withRopeScaling(RopeScaling.llama3(2.0, 1.0, 4.0, 1));
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
             DecoderModel a = RandomWeights.model(plain, m, 21);
             DecoderModel b = RandomWeights.model(linear2, m, 21);
             DecoderModel c = RandomWeights.model(llama3AllDivided, m, 21)) {
            long[] ids = {4, 9, 1, 33, 20, 7};
            long[] positions = {0, 1, 2, 3, 4, 5};
            long[] doubled = {0, 2, 4, 6, 8, 10};
            Shape s = new Shape(1, ids.length);
            float[] plainLogits = a.forward(m.create(ids, s), null, m.create(positions, s), null).toFloatArray();
            float[] linearAtDoubled = b.forward(m.create(ids, s), null, m.create(doubled, s), null).toFloatArray();
            float[] linearPlain = b.forward(m.create(ids, s), null, m.create(positions, s), null).toFloatArray();
            float[] llama3AtDoubled = c.forward(m.create(ids, s), null, m.create(doubled, s), null).toFloatArray();
            // positions / 2 at doubled positions are the plain positions: the same angles, bit for bit
            SaveLoadRoundTripTest.assertSameBits("linear x2 at 2p vs plain at p", plainLogits, linearAtDoubled);
            SaveLoadRoundTripTest.assertSameBits("llama3 (all divided) vs plain", plainLogits, llama3AtDoubled);
            assertThat(linearPlain).isNotEqualTo(plainLogits);
        }
    }

    @Test
    void scaledConfigsRoundTripThroughConfigJson(@TempDir Path tmp) {
        for (RopeScaling scaling : new RopeScaling[] {RopeScaling.linear(4.0), RopeScaling.llama3(8, 1, 4, 32)}) {
            ModelConfig c = config("\"rope_theta\": 500000.0").withRopeScaling(scaling);
            String json = c.toJson();
            assertThat(json).contains("\"rope_scaling\"").contains("\"rope_type\" : \"" + scaling.type() + "\"");
            assertThat(ModelConfig.parse(json, "config.json").withoutSource()).isEqualTo(c);
            try (NDManager m = NDManager.newBaseManager(Device.cpu());
                 DecoderModel model = RandomWeights.model(c, m, 2)) {
                Path dir = tmp.resolve(scaling.type());
                HfModelSaver.save(model, dir, null);
                try (DecoderModel back = HfModelLoader.load(dir, Device.cpu())) {
                    assertThat(back.config().ropeScaling()).isEqualTo(scaling);
                    SaveLoadRoundTripTest.assertBitIdentical(model, back);
                }
            }
        }
        // an unscaled model that was read from a transformers 4 config keeps rope_scaling null
        ModelConfig v4 = config("\"rope_scaling\": null");
        assertThat(v4.toJson()).contains("\"rope_scaling\" : null");
        assertThat(ModelConfig.parse(v4.toJson(), "config.json").ropeScaling()).isEqualTo(RopeScaling.NONE);
    }
}
