package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Sliding-window attention as transformers masks it (query i sees keys j with i - window < j <= i): which logits an
 * input token can reach, equality with full attention when the window covers the sequence, per-layer windows for
 * Qwen2 (layers >= max_window_layers), the KV cache, and config.json parsing / writing.
 */
class SlidingWindowTest {

    private static final int VOCAB = 50;
    private static final int T = 12;
    private static final long[] TOKENS = {3, 14, 15, 9, 26, 5, 35, 8, 9, 7, 9, 32};

    /** A small Mistral config.json; {@code window} is the JSON value of sliding_window. */
    private static ModelConfig mistral(int layers, String window) {
        return ModelConfig.parse("""
                {"model_type": "mistral", "vocab_size": %d, "hidden_size": 32, "num_hidden_layers": %d,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 48,
                 "max_position_embeddings": 64, "rms_norm_eps": 1e-6, "sliding_window": %s,
                 "tie_word_embeddings": false, "eos_token_id": 1}""".formatted(VOCAB, layers, window), "config.json");
    }

    private static ModelConfig qwen2(int layers, int maxWindowLayers, int window) {
        return ModelConfig.parse("""
                {"model_type": "qwen2", "vocab_size": %d, "hidden_size": 32, "num_hidden_layers": %d,
                 "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 48,
                 "max_position_embeddings": 64, "use_sliding_window": true, "sliding_window": %d,
                 "max_window_layers": %d, "tie_word_embeddings": true, "eos_token_id": 1}"""
                .formatted(VOCAB, layers, window, maxWindowLayers), "config.json");
    }

    /** Logits [T][V] of TOKENS with token {@code p} replaced by {@code replacement} (p < 0: unchanged). */
    private static float[][] logits(DecoderModel model, int p, long replacement) {
        long[] ids = TOKENS.clone();
        if (p >= 0) {
            ids[p] = replacement;
        }
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            float[] flat = model.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
            return rows(flat, ids.length);
        }
    }

    private static float[][] rows(float[] flat, int t) {
        int v = flat.length / t;
        float[][] out = new float[t][];
        for (int i = 0; i < t; i++) {
            out[i] = Arrays.copyOfRange(flat, i * v, (i + 1) * v);
        }
        return out;
    }

    private static float maxAbsDiff(float[] a, float[] b) {
        float d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    /** Positions whose logits move when token p changes (bit-exact comparison: unreachable means identical). */
    private static List<Integer> reachedFrom(DecoderModel model, int p) {
        float[][] base = logits(model, -1, 0);
        float[][] changed = logits(model, p, 44);
        List<Integer> moved = new ArrayList<>();
        for (int i = 0; i < T; i++) {
            if (!Arrays.equals(base[i], changed[i])) {
                assertThat(maxAbsDiff(base[i], changed[i])).as("position %d moved clearly", i).isGreaterThan(1e-3f);
                moved.add(i);
            }
        }
        return moved;
    }

    private static List<Integer> range(int from, int toInclusive) {
        List<Integer> r = new ArrayList<>();
        for (int i = from; i <= toInclusive; i++) {
            r.add(i);
        }
        return r;
    }

    @Test
    void aWindowCoveringTheSequenceGivesExactlyFullAttention() {
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             DecoderModel full = RandomWeights.model(mistral(2, "null"), root, 7);
             DecoderModel exact = RandomWeights.model(mistral(2, String.valueOf(T)), root, 7);
             DecoderModel wide = RandomWeights.model(mistral(2, "64"), root, 7);
             DecoderModel narrow = RandomWeights.model(mistral(2, "4"), root, 7)) {
            assertThat(full.config().slidingWindow()).isNull();
            float[][] reference = logits(full, -1, 0);
            float[][] windowT = logits(exact, -1, 0);
            float[][] window64 = logits(wide, -1, 0);
            float[][] window4 = logits(narrow, -1, 0);
            for (int i = 0; i < T; i++) {
                SaveLoadRoundTripTest.assertSameBits("window " + T + " position " + i, reference[i], windowT[i]);
                SaveLoadRoundTripTest.assertSameBits("window 64 position " + i, reference[i], window64[i]);
            }
            // control: a window of 4 is the full prefix for positions 0..3 only
            for (int i = 0; i < 4; i++) {
                SaveLoadRoundTripTest.assertSameBits("window 4 position " + i, reference[i], window4[i]);
            }
            for (int i = 4; i < T; i++) {
                assertThat(maxAbsDiff(reference[i], window4[i])).as("window 4 position %d", i).isGreaterThan(1e-3f);
            }
        }
    }

    @Test
    void aWindowOfOneMakesEachPositionDependOnlyOnItsOwnToken() {
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             DecoderModel model = RandomWeights.model(mistral(2, "1"), root, 3)) {
            for (int p : new int[] {0, 5, 11}) {
                assertThat(reachedFrom(model, p)).as("changing token %d", p).containsExactly(p);
            }
            // attending only to itself, a token's output is its value vector, wherever it stands: the logits at
            // position i equal those of the token alone at position 0 (RoPE rotates q and k alike, and one key
            // gets all the weight)
            float[][] inContext = logits(model, -1, 0);
            try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
                for (int i = 0; i < T; i++) {
                    float[] alone = model.forward(m.create(new long[] {TOKENS[i]}, new Shape(1, 1)), null)
                            .toFloatArray();
                    assertThat(maxAbsDiff(alone, inContext[i])).as("position %d", i).isLessThan(1e-4f);
                }
            }
        }
    }

    @Test
    void aTokenReachesTheNextWindowMinusOnePositionsPerLayer() {
        int w = 3;
        int p = 4;
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             DecoderModel oneLayer = RandomWeights.model(mistral(1, String.valueOf(w)), root, 5);
             DecoderModel twoLayers = RandomWeights.model(mistral(2, String.valueOf(w)), root, 5);
             DecoderModel fullAttention = RandomWeights.model(mistral(2, "null"), root, 5)) {
            assertThat(reachedFrom(oneLayer, p)).containsExactlyElementsOf(range(p, p + w - 1));
            // each layer extends the reach by w - 1 positions
            assertThat(reachedFrom(twoLayers, p)).containsExactlyElementsOf(range(p, p + 2 * (w - 1)));
            assertThat(reachedFrom(fullAttention, p)).containsExactlyElementsOf(range(p, T - 1));
        }
    }

    @Test
    void qwen2SlidesOnlyInLayersFromMaxWindowLayersOn() {
        int w = 3;
        int p = 4;
        ModelConfig upperOnly = qwen2(2, 1, w);
        assertThat(upperOnly.slidingWindowAt(0)).isFalse();
        assertThat(upperOnly.slidingWindowAt(1)).isTrue();
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             DecoderModel bothSlide = RandomWeights.model(qwen2(2, 0, w), root, 9);
             DecoderModel lowerFull = RandomWeights.model(upperOnly, root, 9);
             DecoderModel noneSlide = RandomWeights.model(qwen2(2, 2, w), root, 9);
             DecoderModel disabled = RandomWeights.model(ModelConfig.parse("""
                     {"model_type": "qwen2", "vocab_size": 50, "hidden_size": 32, "num_hidden_layers": 2,
                      "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 48,
                      "max_position_embeddings": 64, "use_sliding_window": false, "sliding_window": 3,
                      "max_window_layers": 0, "tie_word_embeddings": true}""", "config.json"), root, 9)) {
            assertThat(reachedFrom(bothSlide, p)).containsExactlyElementsOf(range(p, p + 2 * (w - 1)));
            // layer 0 attends to the whole prefix, so the change reaches every later position
            assertThat(reachedFrom(lowerFull, p)).containsExactlyElementsOf(range(p, T - 1));
            float[][] lowerFullLogits = logits(lowerFull, -1, 0);
            float[][] noneLogits = logits(noneSlide, -1, 0);
            assertThat(maxAbsDiff(lowerFullLogits[T - 1], noneLogits[T - 1])).isGreaterThan(1e-3f);
            assertThat(noneSlide.config().hasSlidingLayers()).isFalse();
            assertThat(disabled.config().slidingWindow()).isNull();
            float[][] disabledLogits = logits(disabled, -1, 0);
            for (int i = 0; i < T; i++) {
                SaveLoadRoundTripTest.assertSameBits("no sliding layer, position " + i, noneLogits[i], disabledLogits[i]);
            }
        }
    }

    @Test
    void kvCacheDecodingEqualsTheFullForwardUnderASmallWindow() {
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             DecoderModel model = RandomWeights.model(mistral(2, "3"), root, 11)) {
            float[][] full = logits(model, -1, 0);
            try (NDManager m = NDManager.newBaseManager(Device.cpu());
                 KvCache cache = new KvCache(m, model.config().numLayers())) {
                int prefix = 5;
                float[][] prefill = rows(model.forward(m.create(Arrays.copyOf(TOKENS, prefix), new Shape(1, prefix)),
                        null, null, cache).toFloatArray(), prefix);
                for (int i = 0; i < prefix; i++) {
                    assertThat(maxAbsDiff(prefill[i], full[i])).as("prefill position %d", i).isLessThan(1e-4f);
                }
                for (int i = prefix; i < T; i++) {
                    try (NDManager step = m.newSubManager()) {
                        float[] one = model.forward(step.create(new long[] {TOKENS[i]}, new Shape(1, 1)), null, null,
                                cache).toFloatArray();
                        assertThat(maxAbsDiff(one, full[i])).as("cached position %d", i).isLessThan(1e-4f);
                    }
                }
                assertThat(cache.length()).isEqualTo(T);
            }
        }
    }

    @Test
    void generationWithTheCacheEqualsGenerationWithoutUnderASmallWindow() {
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             DecoderModel windowed = RandomWeights.model(mistral(2, "3"), root, 13);
             DecoderModel full = RandomWeights.model(mistral(2, "null"), root, 13)) {
            List<long[]> prompts = List.of(new long[] {3, 14, 15, 9, 26}, new long[] {5, 35}, new long[] {8, 9, 7, 9});
            Generator gen = new Generator(windowed, -1);
            List<Generation> cached = gen.generate(prompts, GenerationConfig.greedy(16));
            List<Generation> recomputed = gen.generate(prompts, GenerationConfig.greedy(16).withCache(false));
            List<Generation> unwindowed = new Generator(full, -1).generate(prompts, GenerationConfig.greedy(16));
            boolean windowMattered = false;
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(cached.get(i).tokens()).hasSize(16);
                assertThat(cached.get(i).tokens()).as("prompt %d", i).containsExactly(recomputed.get(i).tokens());
                windowMattered |= !Arrays.equals(cached.get(i).tokens(), unwindowed.get(i).tokens());
            }
            assertThat(windowMattered).as("the window changes some continuation").isTrue();
        }
    }

    @Test
    void configJsonSemanticsFollowTransformers() {
        assertThat(mistral(2, "7").slidingWindow()).isEqualTo(7);
        assertThat(mistral(2, "7").maxWindowLayers()).isZero();
        // MistralConfig's default when the key is absent
        ModelConfig absent = ModelConfig.parse("""
                {"model_type": "mistral", "vocab_size": 50, "hidden_size": 32, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "intermediate_size": 48, "max_position_embeddings": 64}""", "config.json");
        assertThat(absent.slidingWindow()).isEqualTo(4096);
        // Llama has no sliding window in transformers: the key is ignored
        ModelConfig llama = ModelConfig.parse("""
                {"model_type": "llama", "vocab_size": 50, "hidden_size": 32, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "intermediate_size": 48, "max_position_embeddings": 64,
                 "sliding_window": 4}""", "config.json");
        assertThat(llama.slidingWindow()).isNull();
        // Qwen2: absent max_window_layers is 28; an explicit layer_types list wins
        ModelConfig defaults = ModelConfig.parse("""
                {"model_type": "qwen2", "vocab_size": 50, "hidden_size": 32, "num_hidden_layers": 30,
                 "num_attention_heads": 4, "intermediate_size": 48, "max_position_embeddings": 64,
                 "use_sliding_window": true}""", "config.json");
        assertThat(defaults.slidingWindow()).isEqualTo(4096);
        assertThat(defaults.slidingWindowAt(27)).isFalse();
        assertThat(defaults.slidingWindowAt(28)).isTrue();
        ModelConfig listed = ModelConfig.parse("""
                {"model_type": "qwen2", "vocab_size": 50, "hidden_size": 32, "num_hidden_layers": 3,
                 "num_attention_heads": 4, "intermediate_size": 48, "max_position_embeddings": 64,
                 "use_sliding_window": true, "sliding_window": 8, "max_window_layers": 0,
                 "layer_types": ["full_attention", "full_attention", "sliding_attention"]}""", "config.json");
        assertThat(listed.maxWindowLayers()).isEqualTo(2);
        assertThatThrownBy(() -> ModelConfig.parse("""
                {"model_type": "qwen2", "vocab_size": 50, "hidden_size": 32, "num_hidden_layers": 2,
                 "num_attention_heads": 4, "intermediate_size": 48, "max_position_embeddings": 64,
                 "use_sliding_window": true, "layer_types": ["sliding_attention", "full_attention"]}""", "x/config.json"))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith("x/config.json: layer_types with a full_attention layer (1)");
        assertThatThrownBy(() -> mistral(1, "0")).hasMessageContaining("sliding_window must be > 0");
    }

    @Test
    void toJsonWritesTheWindowSoThatItReadsBackTheSame() {
        for (ModelConfig c : List.of(mistral(2, "5"), mistral(2, "null"), qwen2(3, 1, 6), qwen2(2, 0, 2),
                ModelConfig.parse("""
                        {"model_type": "qwen2", "vocab_size": 50, "hidden_size": 32, "num_hidden_layers": 3,
                         "num_attention_heads": 4, "intermediate_size": 48, "max_position_embeddings": 64,
                         "use_sliding_window": true, "sliding_window": 8,
                         "layer_types": ["full_attention", "sliding_attention", "sliding_attention"]}""", "config.json"))) {
            ModelConfig back = ModelConfig.parse(c.toJson(), "config.json");
            assertThat(back.withoutSource()).isEqualTo(c.withoutSource());
            // and from a config built in code (no source text to keep keys from)
            ModelConfig fresh = ModelConfig.parse(c.withoutSource().toJson(), "config.json");
            assertThat(fresh.withoutSource()).isEqualTo(c.withoutSource());
        }
        assertThat(qwen2(3, 1, 6).toJson()).contains("\"use_sliding_window\" : true")
                .contains("\"sliding_window\" : 6").contains("\"max_window_layers\" : 1");
        assertThat(mistral(2, "5").toJson()).contains("\"sliding_window\" : 5");
    }

    @Test
    void theWindowIsSavedAndLoadedWithTheModel(@TempDir Path tmp) {
        try (NDManager root = NDManager.newBaseManager(Device.cpu());
             DecoderModel model = RandomWeights.model(qwen2(2, 1, 3), root, 17)) {
            HfModelSaver.save(model, tmp.resolve("m"), null);
            try (DecoderModel back = HfModelLoader.load(tmp.resolve("m"), Device.cpu())) {
                assertThat(back.config().slidingWindow()).isEqualTo(3);
                assertThat(back.config().maxWindowLayers()).isEqualTo(1);
                SaveLoadRoundTripTest.assertBitIdentical(model, back);
            }
        }
    }
}
