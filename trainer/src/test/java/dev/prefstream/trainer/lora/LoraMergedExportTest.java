package dev.prefstream.trainer.lora;

import ai.djl.Device;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.checkpoint.lora.BaseReference;
import dev.prefstream.trainer.dpo.DpoConfig;
import dev.prefstream.trainer.dpo.DpoTrainer;
import dev.prefstream.trainer.dpo.LossType;
import dev.prefstream.trainer.dpo.TextPair;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.HfModelSaver;
import dev.prefstream.trainer.model.SafetensorsReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code prefstream export --merge} writes the merged model in its base's dtype: a bfloat16 base gives a bfloat16
 * model (config.json's torch_dtype and every safetensors entry), whose weights are the adapter model's merged float32
 * weights rounded to bfloat16 (relative error at most 2^-8 per element).
 */
class LoraMergedExportTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void mergedExportOfABfloat16BaseIsBfloat16(@TempDir Path tmp) throws IOException {
        // a bf16 base: the llama fixture declared bfloat16 and saved (the saver narrows to the declared dtype)
        Path declared = tmp.resolve("declared");
        Files.createDirectories(declared);
        Path fixture = LoraFixtures.dir("llama").resolve("policy");
        try (var files = Files.list(fixture)) {
            for (Path f : files.toList()) {
                Files.copy(f, declared.resolve(f.getFileName()));
            }
        }
        ObjectNode config = (ObjectNode) JSON.readTree(declared.resolve("config.json").toFile());
        config.put("torch_dtype", "bfloat16");
        JSON.writeValue(declared.resolve("config.json").toFile(), config);
        Path base = tmp.resolve("base-bf16");
        try (DecoderModel m = HfModelLoader.load(declared, Device.cpu())) {
            HfModelSaver.save(m, base, null);
        }
        try (SafetensorsReader r = SafetensorsReader.open(base.resolve("model.safetensors"))) {
            assertThat(r.entries().values()).allMatch(e -> e.dtype().equals("BF16"));
        }

        Path ckpt = tmp.resolve("ckpts").resolve("step-1");
        Map<String, float[]> merged;
        List<TextPair> pairs = LoraFixtures.pairs("llama");
        TrainerConfig cfg = TrainerConfig.builder().learningRate(5e-2).clipNorm(0).pairsPerOptimizerStep(4).maxLength(512)
                .maxPromptLength(256).dpo(DpoConfig.of(0.5, LossType.SIGMOID)).lora(new LoraConfig(4, 8, 0, List.of()))
                .build();
        try (DpoTrainer t = DpoTrainer.create(HfModelLoader.load(base, Device.cpu()), LoraFixtures.tokenizer("llama"), cfg)) {
            t.useLoraBase(BaseReference.of(base));
            t.trainStep(pairs);
            t.saveState(ckpt);
            LoraModel lora = (LoraModel) t.policy();
            lora.adapters().mergeIntoBase(1);
            merged = LoraFixtures.snapshot(lora.base().parameters());
        }

        Path out = tmp.resolve("merged");
        LoraCheckpoints.export(ckpt, out, true, Device.cpu());
        JsonNode outConfig = JSON.readTree(out.resolve("config.json").toFile());
        assertThat(outConfig.get("torch_dtype").asText()).isEqualTo("bfloat16");
        int changed = 0;
        try (SafetensorsReader r = SafetensorsReader.open(out.resolve("model.safetensors"))) {
            assertThat(r.entries().values()).allMatch(e -> e.dtype().equals("BF16"));
            try (SafetensorsReader b = SafetensorsReader.open(base.resolve("model.safetensors"))) {
                for (Map.Entry<String, float[]> e : merged.entrySet()) {
                    float[] got = r.readFloats(e.getKey());
                    float[] want = e.getValue();
                    float[] before = b.readFloats(e.getKey());
                    assertThat(got).as(e.getKey()).hasSameSizeAs(want);
                    for (int i = 0; i < want.length; i++) {
                        assertThat(Math.abs(got[i] - want[i])).as("%s[%d]", e.getKey(), i)
                                .isLessThanOrEqualTo(Math.abs(want[i]) * 0x1p-8f + 1e-30f);
                        if (got[i] != before[i]) {
                            changed++;
                        }
                    }
                }
            }
        }
        assertThat(changed).as("elements the adapters changed after bf16 rounding").isPositive();
    }
}
