package dev.prefstream.trainer.dpo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.SequenceLogProbs;
import dev.prefstream.trainer.optim.ParameterGradients;
import dev.prefstream.trainer.tokenizer.HfTokenizer;
import dev.prefstream.trainer.tokenizer.TextTokenizer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Log-probs computed in chunks of positions from the final hidden states ({@link SequenceLogProbs#chunked}) equal
 * those of the full [2B, T, V] logits: values (1e-6 per token), the transformers fixture's sums (1e-4), and the
 * gradient of every weight (1e-6), for chunks of 1, 3 and 7 positions and one chunk for the whole row.
 */
class ChunkedLogProbsTest {

    private static final int[] CHUNKS = {1, 3, 7, 10_000};

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void chunkedValuesAndGradientsEqualTheFullLogits(String family) {
        try (Loaded l = Loaded.of(family); NDManager scope = NDManager.newBaseManager(Device.cpu())) {
            FixtureLogps f = l.f();
            DecoderModel model = l.model();
            CollatedBatch cb = l.batch();
            NDArray ids = cb.inputIds(scope);
            NDArray attention = cb.attentionMask(scope);
            NDArray mask = cb.lossMask(scope);
            model.setTrainable(true);
            // a fixed, uneven weight per row, so that the gradient mixes the rows like a DPO loss does
            float[] rowWeights = new float[ids.getShape().get(0) > 0 ? (int) ids.getShape().get(0) : 0];
            for (int i = 0; i < rowWeights.length; i++) {
                rowWeights[i] = 0.5f + i;
            }
            NDArray w = scope.create(rowWeights);

            float[] fullTokens;
            Map<String, float[]> fullGrads;
            try (NDManager s = scope.newSubManager(); GradientCollector gc = newCollector(model)) {
                NDArray tokens = SequenceLogProbs.tokenLogProbs(model.forward(ids, attention), ids, mask);
                fullTokens = tokens.toFloatArray();
                gc.backward(tokens.sum(new int[] {1}).mul(w).sum());
                fullGrads = grads(model);
            }
            float[] sums = rowSums(fullTokens, rowWeights.length);
            int b = cb.pairs();
            for (int i = 0; i < b; i++) {
                assertThat((double) sums[i]).as("chosen %d", i).isCloseTo(f.policyChosen()[i], within(1e-4));
                assertThat((double) sums[b + i]).as("rejected %d", i).isCloseTo(f.policyRejected()[i], within(1e-4));
            }

            for (int chunk : CHUNKS) {
                ParameterGradients.release(model.parameters());
                try (NDManager s = scope.newSubManager(); GradientCollector gc = newCollector(model)) {
                    NDArray ownIds = ids.duplicate();
                    ownIds.attach(s);
                    NDArray hidden = model.finalHidden(model.bodyOutput(ownIds, attention));
                    SequenceLogProbs.Chunked c = SequenceLogProbs.chunked(model, hidden, ownIds, mask, chunk, false);
                    float[] chunked = c.tokenLogps().toFloatArray();
                    assertThat(chunked).hasSameSizeAs(fullTokens);
                    for (int i = 0; i < chunked.length; i++) {
                        assertThat(chunked[i]).as("%s token %d, chunks of %d", family, i, chunk)
                                .isCloseTo(fullTokens[i], within(1e-6f));
                    }
                    assertThat(rowSums(chunked, rowWeights.length)).containsExactly(sums, within(1e-4f));
                    gc.backward(c.tokenLogps().sum(new int[] {1}).mul(w).sum());
                    assertSameGradients(fullGrads, grads(model), family + " chunks of " + chunk);
                }
            }
            ParameterGradients.release(model.parameters());
        }
    }

    /**
     * The deferred head ({@link dev.prefstream.trainer.model.RecomputedHead}: no graph through the head in the
     * forward, each chunk recomputed in backward) gives the full logits' sums and every weight's gradient (1e-6),
     * for several chunk lengths, with the body recorded as usual and with a checkpointed body.
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void recomputedHeadGivesTheFullLogitsGradients(String family) {
        try (Loaded l = Loaded.of(family); NDManager scope = NDManager.newBaseManager(Device.cpu())) {
            DecoderModel model = l.model();
            CollatedBatch cb = l.batch();
            NDArray ids = cb.inputIds(scope);
            NDArray attention = cb.attentionMask(scope);
            NDArray mask = cb.lossMask(scope);
            model.setTrainable(true);
            int rows = (int) ids.getShape().get(0);
            float[] rowWeights = new float[rows];
            for (int i = 0; i < rows; i++) {
                rowWeights[i] = 0.5f + i;
            }
            NDArray w = scope.create(rowWeights);

            float[] fullSums;
            Map<String, float[]> fullGrads;
            try (NDManager s = scope.newSubManager(); GradientCollector gc = newCollector(model)) {
                NDArray sums = SequenceLogProbs.tokenLogProbs(model.forward(ids, attention), ids, mask)
                        .sum(new int[] {1});
                fullSums = sums.toFloatArray();
                gc.backward(sums.mul(w).sum());
                fullGrads = grads(model);
            }
            for (boolean checkpointed : new boolean[] {false, true}) {
                for (int chunk : new int[] {1, 3, 7}) {
                    String what = family + " chunks of " + chunk + (checkpointed ? ", checkpointed body" : "");
                    ParameterGradients.release(model.parameters());
                    try (NDManager s = scope.newSubManager(); GradientCollector gc = newCollector(model)) {
                        NDArray ownIds = ids.duplicate();
                        ownIds.attach(s);
                        dev.prefstream.trainer.model.CheckpointedBody body = checkpointed
                                ? dev.prefstream.trainer.model.CheckpointedBody.forward(model, ownIds, attention) : null;
                        NDArray hidden = model.finalHidden(checkpointed ? body.output()
                                : model.bodyOutput(ownIds, attention));
                        SequenceScores scores = SequenceScores.fromHidden(model, hidden, ownIds, mask, true, chunk, true);
                        assertThat(scores.head()).as(what).isNotNull();
                        assertThat(scores.sums().toFloatArray()).as(what).containsExactly(fullSums, within(1e-4f));
                        assertThat(scores.wpoWeights().getShape().get(0)).isEqualTo(rows);
                        gc.backward(scores.sums().mul(w).sum());
                        scores.backwardHead();
                        if (body != null) {
                            body.backward();
                        }
                        assertSameGradients(fullGrads, grads(model), what);
                    }
                }
            }
            ParameterGradients.release(model.parameters());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama"})
    void chunkedWpoDenominatorsEqualTheFullLogits(String family) {
        try (Loaded l = Loaded.of(family); NDManager scope = NDManager.newBaseManager(Device.cpu());
             dev.prefstream.trainer.optim.NoGrad ignored = dev.prefstream.trainer.optim.NoGrad.enter()) {
            DecoderModel model = l.model();
            CollatedBatch cb = l.batch();
            NDArray ids = cb.inputIds(scope);
            NDArray attention = cb.attentionMask(scope);
            NDArray mask = cb.lossMask(scope);
            // log(sum_v softmax(x)_v^2) over the whole logits, as the unchunked WPO weights compute it
            float[] full = model.forward(ids, attention).get(":, :-1, :").softmax(-1).square().sum(new int[] {2}).log()
                    .toFloatArray();
            NDArray hidden = model.finalHidden(model.bodyOutput(ids, attention));
            float[] chunked = SequenceLogProbs.chunked(model, hidden, ids, mask, 3, true).logDenoms().toFloatArray();
            assertThat(chunked).hasSameSizeAs(full);
            for (int i = 0; i < full.length; i++) {
                assertThat(chunked[i]).as("%s token %d", family, i).isCloseTo(full[i], within(1e-6f));
            }
        }
    }

    /** A fixture family's policy and its pairs collated as the trainer does. */
    private record Loaded(FixtureLogps f, DecoderModel model, CollatedBatch batch) implements AutoCloseable {

        static Loaded of(String family) {
            FixtureLogps f = FixtureLogps.load(family);
            DecoderModel model = HfModelLoader.load(FixtureStepTest.familyDir(family).resolve("policy"), Device.cpu());
            try (TextTokenizer tokenizer = HfTokenizer.load(FixtureStepTest.familyDir(family),
                    f.root().get("eos_token_id").asInt())) {
                List<TextPair> pairs = FixtureStepTest.pairs(f.root());
                return new Loaded(f, model, new PairCollator(tokenizer, 512, 256, TruncationMode.KEEP_END).collate(pairs));
            } catch (RuntimeException e) {
                model.close();
                throw e;
            }
        }

        @Override
        public void close() {
            model.close();
        }
    }

    static GradientCollector newCollector(DecoderModel model) {
        return model.manager().getEngine().newGradientCollector();
    }

    static Map<String, float[]> grads(DecoderModel model) {
        Map<String, float[]> out = new LinkedHashMap<>();
        try (NDManager s = NDManager.newBaseManager(Device.cpu())) {
            ParameterGradients.views(model.parameters(), s).forEach((k, v) -> out.put(k, v.toFloatArray()));
        }
        return out;
    }

    /**
     * Every gradient element within 1e-6 of the expected one, relative to the tensor's largest expected gradient
     * when that exceeds 1 (a head gradient sums hundreds of float32 terms, in a different order per chunking, so its
     * elements of ~10-100 carry float32 rounding of ~1e-5; relative to the tensor that is ~1e-7).
     */
    static void assertSameGradients(Map<String, float[]> expected, Map<String, float[]> actual, String what) {
        assertThat(actual.keySet()).containsExactlyElementsOf(expected.keySet());
        double worst = 0;
        String at = null;
        for (Map.Entry<String, float[]> e : expected.entrySet()) {
            float[] want = e.getValue();
            float[] got = actual.get(e.getKey());
            assertThat(got).as(e.getKey()).hasSameSizeAs(want);
            double scale = 1;
            for (float v : want) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < want.length; i++) {
                double d = Math.abs(got[i] - want[i]) / scale;
                if (d > worst) {
                    worst = d;
                    at = e.getKey() + "[" + i + "] (scale " + scale + ")";
                }
            }
        }
        assertThat(worst).as("%s: largest gradient difference, at %s", what, at).isLessThanOrEqualTo(1e-6);
    }

    private static float[] rowSums(float[] tokens, int rows) {
        int cols = tokens.length / rows;
        float[] out = new float[rows];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r] += tokens[r * cols + c];
            }
        }
        return out;
    }
}
