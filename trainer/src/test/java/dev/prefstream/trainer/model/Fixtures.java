package dev.prefstream.trainer.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The reference fixtures copied into test resources (made with HF transformers; see fixtures/README.md). */
final class Fixtures {

    private Fixtures() {
    }

    /** One (prompt, chosen, rejected) example with its ids and expected log-probs. */
    record Example(String prompt, String chosen, String rejected, long[] promptIds, long[] chosenIds,
                   long[] rejectedIds, double policyChosen, double policyRejected, double referenceChosen,
                   double referenceRejected) {
    }

    /** Directory of one family: gpt2 or llama. */
    static Path dir(String family) {
        URL url = Fixtures.class.getResource("/fixtures/" + family);
        if (url == null) {
            throw new IllegalStateException("test resource /fixtures/" + family + " missing");
        }
        try {
            return Path.of(url.toURI());
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

    static List<Example> examples(String family) {
        List<Example> out = new ArrayList<>();
        for (JsonNode e : expected(family).get("examples")) {
            out.add(new Example(e.get("prompt").asText(), e.get("chosen").asText(), e.get("rejected").asText(),
                    longs(e.get("prompt_ids")), longs(e.get("chosen_ids")), longs(e.get("rejected_ids")),
                    e.get("policy_chosen_logp").asDouble(), e.get("policy_rejected_logp").asDouble(),
                    e.get("reference_chosen_logp").asDouble(), e.get("reference_rejected_logp").asDouble()));
        }
        return out;
    }

    static long[] longs(JsonNode arr) {
        long[] out = new long[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asLong();
        }
        return out;
    }

    static double[] doubles(JsonNode arr) {
        double[] out = new double[arr.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = arr.get(i).asDouble();
        }
        return out;
    }
}
