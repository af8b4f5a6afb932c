package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.trainer.tokenizer.HfTokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;
import java.util.stream.LongStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** Our tokenizer and decoders against the reference numbers made with HF transformers. */
class FixtureLogProbsTest {

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void tokenizationReproducesTheReferenceIds(String family) {
        try (HfTokenizer tok = HfTokenizer.load(Fixtures.dir(family), 0)) {
            for (Fixtures.Example e : Fixtures.examples(family)) {
                assertThat(tok.encode(e.prompt())).containsExactly(e.promptIds());
                assertThat(withEos(tok.encode(e.chosen()), tok.eosId())).containsExactly(e.chosenIds());
                assertThat(withEos(tok.encode(e.rejected()), tok.eosId())).containsExactly(e.rejectedIds());
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void logProbsMatchTheReference(String family) {
        List<Fixtures.Example> examples = Fixtures.examples(family);
        double[] firstTokens = Fixtures.doubles(Fixtures.expected(family).get("examples").get(0)
                .get("policy_chosen_token_logps"));
        try (DecoderModel policy = HfModelLoader.load(Fixtures.dir(family).resolve("policy"), Device.cpu());
             DecoderModel reference = HfModelLoader.load(Fixtures.dir(family).resolve("reference"), Device.cpu())) {
            for (int i = 0; i < examples.size(); i++) {
                Fixtures.Example e = examples.get(i);
                // sums of 4-13 float32 token log-probs (each ~6 in magnitude, from a log-softmax over 400 logits)
                // computed by torch on another CPU: measured within 1.5e-5, 1e-4 allowed
                assertThat(logProb(policy, e.promptIds(), e.chosenIds())).isCloseTo(e.policyChosen(), within(1e-4));
                assertThat(logProb(policy, e.promptIds(), e.rejectedIds())).isCloseTo(e.policyRejected(), within(1e-4));
                assertThat(logProb(reference, e.promptIds(), e.chosenIds())).isCloseTo(e.referenceChosen(), within(1e-4));
                assertThat(logProb(reference, e.promptIds(), e.rejectedIds())).isCloseTo(e.referenceRejected(), within(1e-4));
            }
            Fixtures.Example first = examples.get(0);
            float[] tokens = tokenLogProbs(policy, first.promptIds(), first.chosenIds());
            assertThat(tokens).hasSize(firstTokens.length);
            for (int j = 0; j < tokens.length; j++) {
                assertThat((double) tokens[j]).as("token %d", j).isCloseTo(firstTokens[j], within(1e-4));
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void pairScorerGoesFromTextToTheReferenceLogProbs(String family) {
        try (DecoderModel policy = HfModelLoader.load(Fixtures.dir(family).resolve("policy"), Device.cpu());
             HfTokenizer tok = HfTokenizer.load(Fixtures.dir(family), policy.config().eosTokenId())) {
            PairLogProbScorer scorer = new PairLogProbScorer(policy, tok);
            for (Fixtures.Example e : Fixtures.examples(family)) {
                PairLogProbScorer.Scores s = scorer.score(e.prompt(), e.chosen(), e.rejected());
                assertThat(s.chosen()).isCloseTo(e.policyChosen(), within(1e-4));
                assertThat(s.rejected()).isCloseTo(e.policyRejected(), within(1e-4));
                assertThat(s.chosenTokens()).isEqualTo(e.chosenIds().length);
                assertThat(s.rejectedTokens()).isEqualTo(e.rejectedIds().length);
            }
        }
    }

    static long[] withEos(long[] ids, long eos) {
        long[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = eos;
        return out;
    }

    /** Summed log-prob of {@code response} after {@code prompt}, one unpadded sequence. */
    static double logProb(DecoderModel model, long[] prompt, long[] response) {
        try (NDManager m = model.manager().newSubManager()) {
            long[] ids = LongStream.concat(Arrays.stream(prompt), Arrays.stream(response)).toArray();
            long[] mask = new long[ids.length];
            Arrays.fill(mask, prompt.length, ids.length, 1);
            NDArray input = m.create(ids, new Shape(1, ids.length));
            NDArray logits = model.forward(input, null);
            return SequenceLogProbs.sumLogProbs(logits, input, m.create(mask, new Shape(1, ids.length)))
                    .toFloatArray()[0];
        }
    }

    /** Per-token log-probs of the response tokens only. */
    static float[] tokenLogProbs(DecoderModel model, long[] prompt, long[] response) {
        try (NDManager m = model.manager().newSubManager()) {
            long[] ids = LongStream.concat(Arrays.stream(prompt), Arrays.stream(response)).toArray();
            long[] mask = new long[ids.length];
            Arrays.fill(mask, prompt.length, ids.length, 1);
            NDArray input = m.create(ids, new Shape(1, ids.length));
            NDArray all = SequenceLogProbs.tokenLogProbs(model.forward(input, null), input,
                    m.create(mask, new Shape(1, ids.length)));
            float[] row = all.toFloatArray();
            return Arrays.copyOfRange(row, prompt.length - 1, row.length);
        }
    }
}
