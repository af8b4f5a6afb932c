package dev.prefstream.trainer.model;

import ai.djl.Device;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Generation: the cache changes speed, not tokens; batching and padding change nothing either. */
class GeneratorTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void kvCacheGreedyEqualsRecomputingGreedyTokenForToken(String family) {
        List<long[]> prompts = Fixtures.examples(family).stream().map(Fixtures.Example::promptIds).toList();
        try (DecoderModel model = HfModelLoader.load(Fixtures.dir(family).resolve("policy"), Device.cpu())) {
            Generator gen = new Generator(model, -1);   // no EOS: always run the full length
            List<Generation> cached = gen.generate(prompts, GenerationConfig.greedy(12));
            List<Generation> recomputed = gen.generate(prompts, GenerationConfig.greedy(12).withCache(false));
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(cached.get(i).tokens()).hasSize(12);
                assertThat(cached.get(i).tokens()).as("prompt %d", i).containsExactly(recomputed.get(i).tokens());
            }
            // left padding inside a batch gives what each prompt gets alone
            for (int i = 0; i < prompts.size(); i++) {
                Generation alone = gen.generate(List.of(prompts.get(i)), GenerationConfig.greedy(12)).get(0);
                assertThat(alone.tokens()).as("prompt %d alone", i).containsExactly(cached.get(i).tokens());
            }
        }
    }

    @Test
    void samplingIsReproducibleFromTheSeedAndStopsAtEos() {
        try (LoadedModel tiny = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 1)) {
            Generator gen = new Generator(tiny.model(), tiny.tokenizer().eosId());
            List<long[]> prompts = List.of(tiny.tokenizer().encode("Hello"), tiny.tokenizer().encode("A longer prompt"));
            GenerationConfig cfg = GenerationConfig.sampling(30, 1.0, 0.9, 42);
            List<Generation> a = gen.generate(prompts, cfg);
            List<Generation> b = gen.generate(prompts, cfg);
            List<Generation> c = gen.generate(prompts, new GenerationConfig(30, 1.0, 0.9, 43, true));
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(a.get(i).tokens()).containsExactly(b.get(i).tokens());
                assertThat(a.get(i).tokens()).doesNotContain(tiny.tokenizer().eosId());
                assertThat(a.get(i).stoppedAtEos() || a.get(i).tokens().length == 30).isTrue();
            }
            assertThat(a.get(0).tokens()).isNotEqualTo(c.get(0).tokens());
            // an untrained model samples nearly uniformly: over 60 draws the 257-id vocabulary shows many distinct ids
            long distinct = java.util.stream.LongStream.concat(
                    java.util.Arrays.stream(a.get(0).tokens()), java.util.Arrays.stream(a.get(1).tokens()))
                    .distinct().count();
            assertThat(distinct).isGreaterThan(10);
        }
    }

    @Test
    void eosEndsARowAndIsNotReturned() {
        try (DecoderModel model = HfModelLoader.load(Fixtures.dir("llama").resolve("policy"), Device.cpu())) {
            long[] prompt = Fixtures.examples("llama").get(0).promptIds();
            Generator free = new Generator(model, -1);
            long[] greedy = free.generate(List.of(prompt), GenerationConfig.greedy(10)).get(0).tokens();
            // declare the 4th greedy token to be EOS: generation must stop right before it
            Generator stopping = new Generator(model, greedy[3]);
            Generation g = stopping.generate(List.of(prompt), GenerationConfig.greedy(10)).get(0);
            int firstEos = 0;
            while (greedy[firstEos] != greedy[3]) {
                firstEos++;
            }
            assertThat(g.stoppedAtEos()).isTrue();
            assertThat(g.tokens()).containsExactly(java.util.Arrays.copyOf(greedy, firstEos));
        }
    }

    @Test
    void badSettingsAreRejected() {
        assertThatThrownBy(() -> new GenerationConfig(5, -1, 1, 0, true)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new GenerationConfig(5, 1, 0, 0, true)).hasMessageContaining("topP");
        try (LoadedModel tiny = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 1)) {
            Generator gen = new Generator(tiny.model(), 256);
            assertThatThrownBy(() -> gen.generate(List.of(new long[0]), GenerationConfig.greedy(3)))
                    .hasMessageContaining("prompt 0 is empty");
        }
    }
}
