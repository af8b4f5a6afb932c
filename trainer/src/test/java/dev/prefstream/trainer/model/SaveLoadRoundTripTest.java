package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prefstream.trainer.tokenizer.HfTokenizer;
import dev.prefstream.trainer.tokenizer.TextTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Saving and loading again changes nothing: every tensor and every logit bit-identical. */
class SaveLoadRoundTripTest {

    @TempDir
    Path tmp;

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void fixtureModelsRoundTripBitExact(String family) throws Exception {
        Path out = tmp.resolve(family);
        try (DecoderModel original = HfModelLoader.load(Fixtures.dir(family).resolve("policy"), Device.cpu());
             HfTokenizer tok = HfTokenizer.load(Fixtures.dir(family), original.config().eosTokenId())) {
            HfModelSaver.save(original, out, tok);
            assertThat(out.resolve("config.json")).exists();
            assertThat(out.resolve("generation_config.json")).exists();
            assertThat(Files.readAllBytes(out.resolve("tokenizer.json")))
                    .isEqualTo(Files.readAllBytes(Fixtures.dir(family).resolve("tokenizer.json")));
            try (LoadedModel reloaded = HfModelLoader.loadWithTokenizer(out, Device.cpu())) {
                assertThat(reloaded.model().config().toJson()).isEqualTo(original.config().toJson());
                assertBitIdentical(original, reloaded.model());
                String text = Fixtures.examples(family).get(1).chosen();
                assertThat(reloaded.tokenizer().encode(text)).containsExactly(tok.encode(text));
                assertThat(reloaded.tokenizer().eosId()).isEqualTo(tok.eosId());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {ModelPresets.TINY, ModelPresets.TINY_GPT2})
    void presetsRoundTripWithTheByteTokenizer(String preset) {
        Path out = tmp.resolve(preset);
        try (LoadedModel original = ModelPresets.builtin(preset, Device.cpu(), 7)) {
            HfModelSaver.save(original.model(), out, original.tokenizer());
            try (SafetensorsReader r = SafetensorsReader.open(out.resolve("model.safetensors"))) {
                // a tied head is stored once, as the embedding, like HF does
                assertThat(r.entries()).doesNotContainKey("lm_head.weight");
                assertThat(r.metadata()).containsEntry("format", "pt");
            }
            try (LoadedModel reloaded = HfModelLoader.loadWithTokenizer(out, Device.cpu())) {
                assertBitIdentical(original.model(), reloaded.model());
                String text = "héllo, wörld! 123 \n\t emoji: \uD83D\uDE00";
                TextTokenizer saved = reloaded.tokenizer();
                assertThat(saved.encode(text)).containsExactly(original.tokenizer().encode(text));
                assertThat(saved.decode(saved.encode(text))).isEqualTo(text);
                assertThat(saved.eosId()).isEqualTo(original.tokenizer().eosId());
            }
        }
    }

    @Test
    void presetInitialisationIsDeterministicPerSeed() {
        try (LoadedModel a = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 3);
             LoadedModel b = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 3);
             LoadedModel c = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 4)) {
            String name = "model.layers.0.self_attn.q_proj.weight";
            float[] wa = a.model().parameters().get(name).toFloatArray();
            assertSameBits(name, wa, b.model().parameters().get(name).toFloatArray());
            assertThat(wa).isNotEqualTo(c.model().parameters().get(name).toFloatArray());
            double var = 0;
            for (float v : wa) {
                var += v * v;
            }
            assertThat(Math.sqrt(var / wa.length)).isBetween(0.018, 0.022);
        }
    }

    @Test
    void copyIsEqualIndependentAndLeavesNothingInTheSourceManager() {
        try (LoadedModel lm = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 9);
             NDManager other = NDManager.newBaseManager(Device.cpu())) {
            DecoderModel source = lm.model();
            source.setTrainable(true);
            int before = source.manager().getManagedArrays().size();
            try (DecoderModel copy = source.copy(other)) {
                assertThat(source.manager().getManagedArrays()).hasSize(before);
                assertBitIdentical(source, copy);
                NDArray w = copy.parameters().get("model.norm.weight");
                w.subi(1f);
                assertThat(source.parameters().get("model.norm.weight").toFloatArray()).containsOnly(1f);
                assertThat(w.toFloatArray()).containsOnly(0f);
            }
        }
    }

    static void assertBitIdentical(DecoderModel a, DecoderModel b) {
        Map<String, NDArray> pa = a.parameters();
        Map<String, NDArray> pb = b.parameters();
        assertThat(pb.keySet()).containsExactlyElementsOf(pa.keySet());
        for (String name : pa.keySet()) {
            assertThat(pb.get(name).getShape()).as(name).isEqualTo(pa.get(name).getShape());
            assertSameBits(name, pa.get(name).toFloatArray(), pb.get(name).toFloatArray());
        }
        long[] ids = {5, 17, 33, 2, 9, 100, 42, 7};
        for (int i = 0; i < ids.length; i++) {
            ids[i] %= a.config().vocabSize();
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray input = m.create(ids, new Shape(1, ids.length));
            float[] la = a.forward(input, null).toFloatArray();
            float[] lb = b.forward(input, null).toFloatArray();
            assertSameBits("logits", la, lb);
        }
    }

    /** Bit-for-bit equality (Arrays.equals compares float bits), reporting the first difference; fast on 1M floats. */
    static void assertSameBits(String what, float[] expected, float[] actual) {
        assertThat(actual.length).as(what + " length").isEqualTo(expected.length);
        if (!java.util.Arrays.equals(expected, actual)) {
            int i = java.util.Arrays.mismatch(expected, actual);
            throw new AssertionError(what + " differs first at " + i + ": " + expected[i] + " vs " + actual[i]);
        }
    }
}
