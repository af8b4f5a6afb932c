package dev.prefstream.trainer.dpo;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelPresets;
import dev.prefstream.trainer.optim.LrSchedule;
import dev.prefstream.trainer.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Save/restore is exact, and the reference modes change (and version) the reference as specified. */
class TrainerStateTest {

    /** A very small Llama (1 layer, hidden 32) so that these tests take a few seconds. */
    static DecoderModel smallModel(long seed) {
        ModelConfig config = ModelConfig.llama(ByteTokenizer.VOCAB_SIZE, 32, 1, 2, 1, 64, 128, true,
                ByteTokenizer.EOS_ID);
        return ModelPresets.initialize(config, NDManager.newBaseManager(Device.cpu()), seed);
    }

    private static TrainerConfig.Builder base() {
        return TrainerConfig.builder().learningRate(5e-3).pairsPerOptimizerStep(8).gradientAccumulation(2).maxLength(64)
                .maxPromptLength(32).warmupSteps(2).schedule(LrSchedule.Kind.COSINE).decaySteps(20).clipNorm(0.5)
                .weightDecay(0.01);
    }

    private static Map<String, float[]> snapshot(Map<String, NDArray> params) {
        Map<String, float[]> out = new java.util.LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    @Test
    void restoreThenSameStepsIsBitIdenticalToUninterruptedRun(@TempDir Path tmp) {
        TrainerConfig config = base()
                .dpo(DpoConfig.of(0.1, LossType.SIGMOID).withLosses(List.of(LossType.SIGMOID, LossType.BCO_PAIR),
                        List.of(1.0, 0.5)))
                .referenceMode(ReferenceMode.TR_DPO).trAlpha(0.5).trEverySteps(2).referenceCacheSize(1000).build();
        List<TextPair> data = PreferenceTasks.punctuationRule(48, 3);
        Map<String, float[]> uninterrupted;
        Map<String, float[]> uninterruptedRef;
        String versionAtEnd;
        try (DpoTrainer a = DpoTrainer.create(smallModel(1), new ByteTokenizer(), config)) {
            for (int s = 0; s < 3; s++) {
                a.trainStep(data.subList(8 * s, 8 * s + 8));
            }
            a.saveState(tmp.resolve("ckpt"));
            for (int s = 3; s < 6; s++) {
                a.trainStep(data.subList(8 * s, 8 * s + 8));
            }
            uninterrupted = snapshot(a.policy().parameters());
            uninterruptedRef = snapshot(a.reference().model().parameters());
            versionAtEnd = a.referenceVersion();
        }
        try (DpoTrainer b = DpoTrainer.restore(tmp.resolve("ckpt"), Device.cpu(), new ByteTokenizer())) {
            assertThat(b.step()).isEqualTo(3);
            assertThat(b.referenceVersion()).isEqualTo("g1"); // mixed once, at step 2
            assertThat(b.config()).isEqualTo(config);
            for (int s = 3; s < 6; s++) {
                b.trainStep(data.subList(8 * s, 8 * s + 8));
            }
            Map<String, float[]> restored = snapshot(b.policy().parameters());
            assertThat(restored.keySet()).isEqualTo(uninterrupted.keySet());
            restored.forEach((k, v) -> assertThat(v).as(k).containsExactly(uninterrupted.get(k)));
            snapshot(b.reference().model().parameters())
                    .forEach((k, v) -> assertThat(v).as("reference " + k).containsExactly(uninterruptedRef.get(k)));
            assertThat(b.referenceVersion()).isEqualTo(versionAtEnd).isEqualTo("g3");
        }
    }

    @Test
    void refreshCopiesPolicyOncePerIterationAndChangesVersion() {
        TrainerConfig config = base().referenceMode(ReferenceMode.REFRESH).referenceCacheSize(100).build();
        List<TextPair> data = PreferenceTasks.punctuationRule(16, 4);
        try (DpoTrainer t = DpoTrainer.create(smallModel(2), new ByteTokenizer(), config)) {
            assertThat(t.startIteration(0)).isFalse(); // iteration 0 starts from the initial policy
            for (int i = 0; i < 3; i++) { // the first warmup step has learning rate 0
                t.trainStep(data.subList(0, 8));
            }
            t.evaluate(data.subList(0, 8));            // fills the reference cache
            assertThat(t.reference().cache().orElseThrow().size()).isEqualTo(8);
            String before = t.referenceVersion();
            String name = t.policy().parameters().keySet().iterator().next();
            assertThat(java.util.Arrays.equals(t.reference().model().parameters().get(name).toFloatArray(),
                    t.policy().parameters().get(name).toFloatArray())).as("policy moved away from the reference").isFalse();

            assertThat(t.startIteration(1)).isTrue();
            assertThat(t.referenceVersion()).isNotEqualTo(before);
            assertThat(t.reference().cache().orElseThrow().size()).isZero();
            snapshot(t.policy().parameters()).forEach((k, v) ->
                    assertThat(t.reference().model().parameters().get(k).toFloatArray()).as(k).containsExactly(v));
            // reference == policy: every implicit reward is 0
            EvalMetrics m = t.evaluate(data.subList(8, 16));
            assertThat(m.rewardsChosen()).isZero();
            assertThat(m.rewardsMargins()).isZero();
            String refreshed = t.referenceVersion();
            assertThat(t.startIteration(1)).isFalse(); // same iteration again (e.g. after a resume): no change
            assertThat(t.referenceVersion()).isEqualTo(refreshed);
        }
    }

    @Test
    void trDpoMixesReferenceTowardsPolicyEveryKSteps() {
        TrainerConfig config = base().referenceMode(ReferenceMode.TR_DPO).trAlpha(0.25).trEverySteps(2).build();
        List<TextPair> data = PreferenceTasks.punctuationRule(16, 5);
        try (DpoTrainer t = DpoTrainer.create(smallModel(3), new ByteTokenizer(), config)) {
            String name = "model.layers.0.mlp.up_proj.weight";
            float[] ref0 = t.reference().model().parameters().get(name).toFloatArray();
            t.trainStep(data.subList(0, 8));
            assertThat(t.referenceVersion()).isEqualTo("g0");
            assertThat(t.reference().model().parameters().get(name).toFloatArray()).containsExactly(ref0);
            t.trainStep(data.subList(8, 16));
            assertThat(t.referenceVersion()).isEqualTo("g1");
            float[] pol = t.policy().parameters().get(name).toFloatArray();
            float[] ref1 = t.reference().model().parameters().get(name).toFloatArray();
            for (int i = 0; i < ref1.length; i += 97) {
                assertThat(ref1[i]).isCloseTo(0.25f * pol[i] + 0.75f * ref0[i], org.assertj.core.api.Assertions.within(1e-7f));
            }
        }
    }

    @Test
    void wpoWeightsAreOneForAUniformModelAndTrainingWithThemRuns() {
        List<TextPair> data = PreferenceTasks.punctuationRule(8, 7);
        try (DecoderModel uniform = smallModel(6);
             NDManager scope = NDManager.newBaseManager(Device.cpu())) {
            // a zero (tied) embedding gives all-zero logits: p = 1/V everywhere, so log p(t) = log sum p^2 and
            // every WPO weight is exp(0) = 1
            uniform.parameters().get("model.embed_tokens.weight").stopGradient().muli(scope.create(0f));
            PairCollator collator = new PairCollator(new ByteTokenizer(), 64, 32, TruncationMode.KEEP_END);
            float[] w = SequenceScores.computeNoGrad(uniform, collator.collate(data), scope, true).wpoWeights()
                    .toFloatArray();
            for (float v : w) {
                assertThat(v).isCloseTo(1f, org.assertj.core.api.Assertions.within(1e-5f));
            }
        }
        TrainerConfig config = base().dpo(DpoConfig.of(0.1, LossType.SIGMOID).withWeighting(true)).build();
        try (DpoTrainer t = DpoTrainer.create(smallModel(7), new ByteTokenizer(), config)) {
            StepMetrics m = t.trainStep(data);
            assertThat(m.loss()).isFinite().isPositive();
            assertThat(m.toMap()).containsKeys("loss", "rewards/chosen", "rewards/margins", "grad_norm", "tokens");
        }
    }

    @Test
    void cachedReferenceLogpsEqualForwardOnesAndAreReused() {
        TrainerConfig config = base().referenceCacheSize(100).build();
        List<TextPair> data = PreferenceTasks.punctuationRule(8, 6);
        try (DpoTrainer t = DpoTrainer.create(smallModel(4), new ByteTokenizer(), config)) {
            EvalMetrics first = t.evaluate(data);   // forward, fills the cache
            ReferenceLogpCache cache = t.reference().cache().orElseThrow();
            long missesAfterFirst = cache.misses();
            EvalMetrics second = t.evaluate(data);  // from the cache
            assertThat(cache.misses()).isEqualTo(missesAfterFirst);
            assertThat(cache.hits()).isGreaterThanOrEqualTo(8);
            assertThat(second).isEqualTo(first);
        }
    }

    /**
     * The trainer lends its reference as the initial policy only while the reference is and stays the initial model:
     * full fine-tuning with a FIXED reference (also after a restore); never REFRESH, TR-DPO or LoRA.
     */
    @Test
    void frozenInitialPolicyIsLentOnlyWhileTheReferenceIsTheInitialModel(@TempDir Path tmp) {
        List<TextPair> data = PreferenceTasks.punctuationRule(24, 3);
        Map<String, float[]> initial;
        try (DecoderModel m = smallModel(1)) {
            initial = snapshot(m.parameters());
        }
        try (DpoTrainer fixed = DpoTrainer.create(smallModel(1), new ByteTokenizer(), base().build())) {
            for (int s = 0; s < 2; s++) {
                fixed.trainStep(data.subList(8 * s, 8 * s + 8));
            }
            DecoderModel lent = fixed.frozenInitialPolicy().orElseThrow();
            assertThat(lent).isSameAs(fixed.reference().model());
            Map<String, float[]> lentWeights = snapshot(lent.parameters());
            assertThat(lentWeights.keySet()).isEqualTo(initial.keySet());
            lentWeights.forEach((k, v) -> assertThat(v).as(k).containsExactly(initial.get(k)));
            // ... while the policy has moved away from it
            assertThat(snapshot(fixed.policy().parameters()).entrySet().stream()
                    .anyMatch(e -> !java.util.Arrays.equals(e.getValue(), initial.get(e.getKey())))).isTrue();
            fixed.saveState(tmp.resolve("fixed"));
        }
        try (DpoTrainer restored = DpoTrainer.restore(tmp.resolve("fixed"), Device.cpu(), new ByteTokenizer())) {
            Map<String, float[]> lentWeights = snapshot(restored.frozenInitialPolicy().orElseThrow().parameters());
            lentWeights.forEach((k, v) -> assertThat(v).as(k).containsExactly(initial.get(k)));
        }
        for (ReferenceMode moving : List.of(ReferenceMode.REFRESH, ReferenceMode.TR_DPO)) {
            try (DpoTrainer t = DpoTrainer.create(smallModel(1), new ByteTokenizer(),
                    base().referenceMode(moving).trAlpha(0.5).trEverySteps(1).build())) {
                assertThat(t.frozenInitialPolicy()).as(moving.name()).isEmpty();
            }
        }
        try (DpoTrainer lora = DpoTrainer.create(smallModel(1), new ByteTokenizer(),
                base().lora(new dev.prefstream.trainer.lora.LoraConfig(4, 8, 0, List.of())).build())) {
            assertThat(lora.frozenInitialPolicy()).isEmpty();
        }
    }
}
