package dev.prefstream.trainer.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.checkpoint.lora.BaseReference;
import dev.prefstream.trainer.dpo.DpoConfig;
import dev.prefstream.trainer.dpo.DpoTrainer;
import dev.prefstream.trainer.dpo.LossType;
import dev.prefstream.trainer.dpo.ReferenceMode;
import dev.prefstream.trainer.dpo.StepMetrics;
import dev.prefstream.trainer.dpo.TextPair;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelPresets;
import dev.prefstream.trainer.model.SafetensorsReader;
import dev.prefstream.trainer.optim.LrSchedule;
import dev.prefstream.trainer.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** DPO with LoRA adapters: what trains, its gradients, the PEFT checkpoint, exact resume, REFRESH merges. */
class LoraTrainerTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static TrainerConfig.Builder fixtureConfig(double lr) {
        return TrainerConfig.builder().learningRate(lr).clipNorm(0).pairsPerOptimizerStep(4).maxLength(512)
                .maxPromptLength(256).dpo(DpoConfig.of(0.5, LossType.SIGMOID)).lora(new LoraConfig(4, 8, 0, List.of()));
    }

    @Test
    void onlyAdapterTensorsChangeAndOnlyTheyHaveOptimizerState() {
        List<TextPair> pairs = LoraFixtures.pairs("llama");
        try (DpoTrainer t = DpoTrainer.create(LoraFixtures.policy("llama"), LoraFixtures.tokenizer("llama"),
                fixtureConfig(1e-2).build())) {
            LoraModel lora = (LoraModel) t.policy();
            Map<String, float[]> base = LoraFixtures.snapshot(lora.base().parameters());
            Map<String, float[]> before = LoraFixtures.snapshot(lora.parameters());
            float[] refBefore = LoraFixtures.logps(t.reference().model(), t.tokenizer(), pairs);

            StepMetrics m = t.trainStep(pairs);

            assertThat(m.loss()).isCloseTo(Math.log(2), within(1e-5));   // step 0: policy == reference
            assertThat(t.optimizer().firstMoments().keySet()).isEqualTo(lora.parameters().keySet());
            assertThat(lora.base().parameters().values()).allSatisfy(p -> assertThat(p.hasGradient()).isFalse());
            LoraFixtures.snapshot(lora.base().parameters()).forEach((k, v) -> assertThat(v).as(k).containsExactly(base.get(k)));
            for (LoraTarget target : lora.adapters().targets()) {
                // B was zero, so A's gradient was exactly zero at this step: AdamW leaves it as it was
                assertThat(lora.parameters().get(target.keyA()).toFloatArray()).containsExactly(before.get(target.keyA()));
                float[] b = lora.parameters().get(target.keyB()).toFloatArray();
                assertThat(maxAbs(b)).as(target.keyB()).isGreaterThan(1e-3);
            }
            // the policy moved, the reference (adapters off) did not
            assertThat(LoraFixtures.logps(t.reference().model(), t.tokenizer(), pairs)).containsExactly(refBefore);
            assertThat(LoraFixtures.logps(t.policy(), t.tokenizer(), pairs)).isNotEqualTo(refBefore);
        }
    }

    /**
     * The gradient of the mean DPO loss with respect to every adapter tensor, read after one step from AdamW's
     * first moment (lr 0, no clipping: m = (1 - beta1) g and the weights stay put), against central finite
     * differences of the loss {@link DpoTrainer#evaluate} computes: along the gradient direction (which must give
     * |g|) and element-wise on the largest entries of an A and a B matrix.
     */
    @Test
    void adapterGradientsMatchFiniteDifferences() {
        List<TextPair> pairs = LoraFixtures.pairs("llama");
        try (DpoTrainer t = DpoTrainer.create(LoraFixtures.policy("llama"), LoraFixtures.tokenizer("llama"),
                fixtureConfig(0).build())) {
            LoraModel lora = (LoraModel) t.policy();
            LoraFixtures.randomize(lora.adapters(), 5);   // B != 0, so A has a gradient too
            Map<String, float[]> theta = LoraFixtures.snapshot(lora.parameters());
            t.trainStep(pairs);
            assertThat(LoraFixtures.snapshot(lora.parameters())).allSatisfy((k, v) -> assertThat(v).containsExactly(theta.get(k)));
            Map<String, double[]> grad = new LinkedHashMap<>();
            t.optimizer().firstMoments().forEach((k, m) -> {
                float[] f = m.toFloatArray();
                double[] g = new double[f.length];
                for (int i = 0; i < f.length; i++) {
                    g[i] = f[i] / (1 - 0.9);
                }
                grad.put(k, g);
            });
            double norm = 0;
            for (double[] g : grad.values()) {
                for (double v : g) {
                    norm += v * v;
                }
            }
            norm = Math.sqrt(norm);
            assertThat(norm).isGreaterThan(1e-2);

            // along g / |g|: dL/dh = |g|
            double h = 1e-2;
            double plus = lossAt(t, lora, theta, grad, h / norm, pairs);
            double minus = lossAt(t, lora, theta, grad, -h / norm, pairs);
            assertThat((plus - minus) / (2 * h)).isCloseTo(norm, within(0.02 * norm));

            // element-wise, the largest entry of one A and one B
            LoraTarget target = lora.adapters().targets().get(3);
            for (String key : List.of(target.keyA(), target.keyB())) {
                double[] g = grad.get(key);
                int i = argMaxAbs(g);
                double eps = 5e-3;
                Map<String, double[]> unit = new LinkedHashMap<>();
                grad.forEach((k, v) -> unit.put(k, new double[v.length]));
                unit.get(key)[i] = 1;
                double fd = (lossAt(t, lora, theta, unit, eps, pairs) - lossAt(t, lora, theta, unit, -eps, pairs)) / (2 * eps);
                assertThat(fd).as("%s[%d]", key, i).isCloseTo(g[i], within(0.05 * Math.abs(g[i]) + 1e-5));
            }
        }
    }

    private static double lossAt(DpoTrainer t, LoraModel lora, Map<String, float[]> theta, Map<String, double[]> dir,
                                 double step, List<TextPair> pairs) {
        try (NDManager tmp = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> values = new LinkedHashMap<>();
            lora.parameters().forEach((k, p) -> {
                float[] x = theta.get(k).clone();
                double[] d = dir.get(k);
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (x[i] + step * d[i]);
                }
                values.put(k, tmp.create(x, p.getShape()));
            });
            lora.adapters().load(values);
        }
        return t.evaluate(pairs).loss();
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama", "gpt2"})
    void savedCheckpointIsAPeftAdapterDirectoryReferencingItsBase(String family, @TempDir Path tmp) throws IOException {
        Path ckpt = tmp.resolve("ckpts").resolve("step-1");
        List<TextPair> pairs = LoraFixtures.pairs(family);
        Path baseDir = LoraFixtures.dir(family).resolve("policy");
        try (DpoTrainer t = DpoTrainer.create(LoraFixtures.policy(family), LoraFixtures.tokenizer(family),
                fixtureConfig(1e-2).lora(new LoraConfig(4, 8, 0, List.of())).build())) {
            t.useLoraBase(BaseReference.of(baseDir));
            t.trainStep(pairs);
            t.saveState(ckpt);
            LoraModel lora = (LoraModel) t.policy();

            Set<String> files = new LinkedHashSet<>();
            try (Stream<Path> s = Files.walk(ckpt)) {
                s.filter(Files::isRegularFile).forEach(p -> files.add(ckpt.relativize(p).toString().replace('\\', '/')));
            }
            assertThat(files).contains("adapter_config.json", "adapter_model.safetensors", "tokenizer.json",
                    "trainer-state/state.json", "trainer-state/optimizer.safetensors", "trainer-state/base.json");
            assertThat(files).doesNotContain("model.safetensors", "config.json", "trainer-state/reference.safetensors");
            assertThat(tmp.resolve("ckpts").resolve(BaseReference.STORE_DIR)).doesNotExist();   // base referenced, not copied

            JsonNode c = JSON.readTree(ckpt.resolve("adapter_config.json").toFile());
            assertThat(c.get("peft_type").asText()).isEqualTo("LORA");
            assertThat(c.get("task_type").asText()).isEqualTo("CAUSAL_LM");
            assertThat(c.get("r").asInt()).isEqualTo(4);
            assertThat(c.get("lora_alpha").isIntegralNumber()).isTrue();
            assertThat(c.get("lora_alpha").asInt()).isEqualTo(8);
            assertThat(c.get("lora_dropout").asDouble()).isEqualTo(0.0);
            assertThat(c.get("bias").asText()).isEqualTo("none");
            assertThat(c.get("use_rslora").asBoolean()).isFalse();
            assertThat(c.get("fan_in_fan_out").asBoolean()).isEqualTo(family.equals("gpt2"));
            assertThat(c.get("base_model_name_or_path").asText()).isEqualTo(baseDir.toAbsolutePath().normalize().toString());
            List<String> targets = new ArrayList<>();
            c.get("target_modules").forEach(n -> targets.add(n.asText()));
            ModelConfig mc = lora.config();
            assertThat(targets).containsExactlyElementsOf(family.equals("gpt2") ? List.of("c_attn", "c_proj", "c_fc")
                    : List.of("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"));

            // PEFT's key names and shapes, written out here from the architecture (not from LoraTarget)
            Map<String, List<Long>> expected = new LinkedHashMap<>();
            long h = mc.hiddenSize();
            long ff = mc.intermediateSize();
            for (int i = 0; i < mc.numLayers(); i++) {
                if (family.equals("gpt2")) {
                    String p = "base_model.model.transformer.h." + i + ".";
                    expect(expected, p + "attn.c_attn", h, 3 * h);
                    expect(expected, p + "attn.c_proj", h, h);
                    expect(expected, p + "mlp.c_fc", h, ff);
                    expect(expected, p + "mlp.c_proj", ff, h);
                } else {
                    String p = "base_model.model.model.layers." + i + ".";
                    long q = (long) mc.numHeads() * mc.headDim();
                    long kv = (long) mc.numKvHeads() * mc.headDim();
                    expect(expected, p + "self_attn.q_proj", h, q);
                    expect(expected, p + "self_attn.k_proj", h, kv);
                    expect(expected, p + "self_attn.v_proj", h, kv);
                    expect(expected, p + "self_attn.o_proj", q, h);
                    expect(expected, p + "mlp.gate_proj", h, ff);
                    expect(expected, p + "mlp.up_proj", h, ff);
                    expect(expected, p + "mlp.down_proj", ff, h);
                }
            }
            try (SafetensorsReader r = SafetensorsReader.open(ckpt.resolve("adapter_model.safetensors"))) {
                Map<String, List<Long>> actual = new LinkedHashMap<>();
                r.entries().forEach((k, e) -> {
                    List<Long> shape = new ArrayList<>();
                    for (long d : e.shape()) {
                        shape.add(d);
                    }
                    actual.put(k, shape);
                    assertThat(e.dtype()).isEqualTo("F32");
                });
                assertThat(actual).isEqualTo(expected);
            }
            BaseReference ref = BaseReference.read(ckpt.resolve("trainer-state/base.json"));
            assertThat(ref.sha256()).isEqualTo(BaseReference.hashOf(baseDir));
        }
    }

    private static void expect(Map<String, List<Long>> m, String module, long in, long out) {
        m.put(module + ".lora_A.weight", List.of(4L, in));
        m.put(module + ".lora_B.weight", List.of(out, 4L));
    }

    // ------------------------------------------------------------------ small model: resume and REFRESH

    static DecoderModel smallModel(long seed) {
        ModelConfig config = ModelConfig.llama(ByteTokenizer.VOCAB_SIZE, 32, 1, 2, 1, 64, 128, true, ByteTokenizer.EOS_ID);
        return ModelPresets.initialize(config, NDManager.newBaseManager(Device.cpu()), seed);
    }

    private static TrainerConfig.Builder small() {
        return TrainerConfig.builder().learningRate(2e-2).pairsPerOptimizerStep(8).gradientAccumulation(2).maxLength(64)
                .maxPromptLength(32).warmupSteps(1).schedule(LrSchedule.Kind.COSINE).decaySteps(20).clipNorm(0.5)
                .weightDecay(0.01).referenceCacheSize(100).lora(new LoraConfig(4, 8, 0, List.of()));
    }

    @Test
    void restoreThenSameStepsIsBitIdenticalToUninterruptedRun(@TempDir Path tmp) {
        List<TextPair> data = punctuation(48, 3);
        TrainerConfig config = small().build();
        Map<String, float[]> uninterrupted;
        try (DpoTrainer a = DpoTrainer.create(smallModel(1), new ByteTokenizer(), config)) {
            for (int s = 0; s < 3; s++) {
                a.trainStep(data.subList(8 * s, 8 * s + 8));
            }
            a.saveState(tmp.resolve("ckpts/step-3"));
            for (int s = 3; s < 6; s++) {
                a.trainStep(data.subList(8 * s, 8 * s + 8));
            }
            uninterrupted = LoraFixtures.snapshot(a.policy().parameters());
        }
        // the preset base was written once into the root's lora-bases store and is referenced from there
        assertThat(tmp.resolve("ckpts").resolve(BaseReference.STORE_DIR)).isDirectory();
        try (DpoTrainer b = DpoTrainer.restore(tmp.resolve("ckpts/step-3"), Device.cpu(), new ByteTokenizer())) {
            assertThat(b.step()).isEqualTo(3);
            assertThat(b.config()).isEqualTo(config);
            assertThat(b.policy()).isInstanceOf(LoraModel.class);
            for (int s = 3; s < 6; s++) {
                b.trainStep(data.subList(8 * s, 8 * s + 8));
            }
            Map<String, float[]> restored = LoraFixtures.snapshot(b.policy().parameters());
            assertThat(restored.keySet()).isEqualTo(uninterrupted.keySet());
            restored.forEach((k, v) -> assertThat(v).as(k).containsExactly(uninterrupted.get(k)));
        }
        // changing the LoRA settings of a lineage is refused with a clear message
        assertThatThrownBy(() -> DpoTrainer.restore(tmp.resolve("ckpts/step-3"), Device.cpu(), new ByteTokenizer(),
                dev.prefstream.trainer.dpo.RestoreOptions.overriding(c -> c.toBuilder().lora(LoraConfig.ofRank(8)).build(),
                        dev.prefstream.trainer.dpo.RestoreOptions.OptimizerState.RESTORED)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("LoRA settings cannot change");
    }

    @Test
    void refreshMergesAdaptersIntoTheReferenceAndStartsFreshOnes(@TempDir Path tmp) {
        List<TextPair> data = punctuation(64, 4);
        TrainerConfig config = small().referenceMode(ReferenceMode.REFRESH).build();
        try (DpoTrainer t = DpoTrainer.create(smallModel(2), new ByteTokenizer(), config)) {
            LoraModel lora = (LoraModel) t.policy();
            t.startIteration(1);
            for (int s = 0; s < 3; s++) {
                t.trainStep(data.subList(8 * s, 8 * s + 8));
            }
            List<TextPair> probe = data.subList(56, 64);
            float[] policy = LoraFixtures.logps(t.policy(), t.tokenizer(), probe);
            float[] refBefore = LoraFixtures.logps(t.reference().model(), t.tokenizer(), probe);
            assertThat(policy).isNotEqualTo(refBefore);
            Map<String, float[]> adaptersBefore = LoraFixtures.snapshot(lora.parameters());
            String versionBefore = t.referenceVersion();

            assertThat(t.startIteration(2)).isTrue();

            assertThat(t.referenceVersion()).isNotEqualTo(versionBefore);
            float[] refAfter = LoraFixtures.logps(t.reference().model(), t.tokenizer(), probe);
            for (int i = 0; i < policy.length; i++) {
                assertThat(refAfter[i]).isCloseTo(policy[i], within(1e-4f * Math.max(1, Math.abs(policy[i]))));
            }
            // fresh adapters: B zero, a new draw of A, zero moments; the policy equals the new reference
            for (LoraTarget target : lora.adapters().targets()) {
                assertThat(lora.parameters().get(target.keyB()).toFloatArray()).containsOnly(0f);
                assertThat(lora.parameters().get(target.keyA()).toFloatArray()).isNotEqualTo(adaptersBefore.get(target.keyA()));
            }
            assertThat(t.optimizer().step()).isZero();
            assertThat(LoraFixtures.logps(t.policy(), t.tokenizer(), probe)).containsExactly(refAfter);

            // training continues against the merged reference: its first loss is log 2 again, then it learns
            StepMetrics first = t.trainStep(data.subList(24, 32));
            assertThat(first.loss()).isCloseTo(Math.log(2), within(1e-5));
            assertThat(t.trainStep(data.subList(32, 40)).loss()).isLessThan(first.loss());

            // the merged base is written once as a full HF directory and the checkpoint references it
            t.saveState(tmp.resolve("ckpts/step-5"));
            BaseReference base = BaseReference.read(tmp.resolve("ckpts/step-5/trainer-state/base.json"));
            assertThat(base.dir()).startsWith(tmp.resolve("ckpts").resolve(BaseReference.STORE_DIR).toAbsolutePath());
            assertThat(base.dir().resolve("model.safetensors")).isRegularFile();
            assertThat(base.dir().resolve("config.json")).isRegularFile();
            float[] policyAtSave = LoraFixtures.logps(t.policy(), t.tokenizer(), probe);
            try (DpoTrainer r = DpoTrainer.restore(tmp.resolve("ckpts/step-5"), Device.cpu(), new ByteTokenizer())) {
                assertThat(r.referenceVersion()).isEqualTo(t.referenceVersion());
                assertThat(LoraFixtures.logps(r.reference().model(), r.tokenizer(), probe)).containsExactly(refAfter);
                assertThat(LoraFixtures.logps(r.policy(), r.tokenizer(), probe)).containsExactly(policyAtSave);
            }
        }
    }

    @Test
    void trDpoWithAdaptersIsRefusedAtStart() {
        assertThatThrownBy(() -> small().referenceMode(ReferenceMode.TR_DPO).build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("TR-DPO").hasMessageContaining("LoRA");
    }

    /** Chosen responses end with a period, rejected ones do not (as PreferenceTasks, seeded). */
    static List<TextPair> punctuation(int n, long seed) {
        Random r = new Random(seed);
        String[] words = {"alpha", "beta", "gamma", "delta", "echo", "fox", "golf", "hotel"};
        List<TextPair> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String body = words[r.nextInt(words.length)] + " " + words[r.nextInt(words.length)];
            out.add(TextPair.of("Q" + i + ": say", " " + body + ".", " " + body));
        }
        return out;
    }

    private static double maxAbs(float[] a) {
        double m = 0;
        for (float v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    private static int argMaxAbs(double[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (Math.abs(a[i]) > Math.abs(a[best])) {
                best = i;
            }
        }
        return best;
    }
}
