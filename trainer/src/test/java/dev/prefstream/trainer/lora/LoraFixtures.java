package dev.prefstream.trainer.lora;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.trainer.dpo.PairCollator;
import dev.prefstream.trainer.dpo.SequenceScores;
import dev.prefstream.trainer.dpo.TextPair;
import dev.prefstream.trainer.dpo.TruncationMode;
import dev.prefstream.trainer.model.CausalLM;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.tokenizer.HfTokenizer;
import dev.prefstream.trainer.tokenizer.TextTokenizer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** The transformers fixtures (gpt2, llama) as LoRA tests use them. */
final class LoraFixtures {

    private LoraFixtures() {
    }

    static Path dir(String family) {
        try {
            return Path.of(LoraFixtures.class.getResource("/fixtures/" + family).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode expected(String family) {
        try {
            return new ObjectMapper().readTree(dir(family).resolve("expected.json").toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static DecoderModel policy(String family) {
        return HfModelLoader.load(dir(family).resolve("policy"), Device.cpu());
    }

    static TextTokenizer tokenizer(String family) {
        return HfTokenizer.load(dir(family), expected(family).get("eos_token_id").asInt());
    }

    static List<TextPair> pairs(String family) {
        List<TextPair> out = new ArrayList<>();
        for (JsonNode e : expected(family).get("examples")) {
            out.add(TextPair.of(e.get("prompt").asText(), e.get("chosen").asText(), e.get("rejected").asText()));
        }
        return out;
    }

    /** Summed response log-probs of the fixture pairs, [chosen..., rejected...], under no-grad. */
    static float[] logps(CausalLM model, TextTokenizer tokenizer, List<TextPair> pairs) {
        try (NDManager scope = NDManager.newBaseManager(Device.cpu())) {
            PairCollator collator = new PairCollator(tokenizer, 512, 256, TruncationMode.KEEP_END);
            return SequenceScores.computeNoGrad(model, collator.collate(pairs), scope, false).sums().toFloatArray();
        }
    }

    static Map<String, float[]> snapshot(Map<String, NDArray> params) {
        Map<String, float[]> out = new LinkedHashMap<>();
        params.forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    /** Gives every adapter tensor (B included) random values of about the size training reaches. */
    static void randomize(LoraAdapters adapters, long seed) {
        Random rnd = new Random(seed);
        try (NDManager tmp = NDManager.newBaseManager(Device.cpu())) {
            Map<String, NDArray> values = new LinkedHashMap<>();
            adapters.parameters().forEach((k, v) -> {
                float[] x = new float[Math.toIntExact(v.size())];
                for (int i = 0; i < x.length; i++) {
                    x[i] = (float) (rnd.nextGaussian() * 0.05);
                }
                values.put(k, tmp.create(x, v.getShape()));
            });
            adapters.load(values);
        }
    }
}
