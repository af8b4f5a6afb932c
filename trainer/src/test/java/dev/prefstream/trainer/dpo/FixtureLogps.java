package dev.prefstream.trainer.dpo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/** The reference log-probs and expected losses of one fixture family (test resources fixtures/FAMILY/expected.json). */
record FixtureLogps(JsonNode root, float[] policyChosen, float[] policyRejected, float[] referenceChosen,
                    float[] referenceRejected, float[] chosenTokens, float[] rejectedTokens) {

    static FixtureLogps load(String family) {
        String path = "/fixtures/" + family + "/expected.json";
        try (InputStream in = FixtureLogps.class.getResourceAsStream(path)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + path);
            }
            JsonNode root = new ObjectMapper().readTree(in);
            JsonNode ex = root.get("examples");
            int n = ex.size();
            float[] pc = new float[n], pr = new float[n], rc = new float[n], rr = new float[n];
            float[] nc = new float[n], nr = new float[n];
            for (int i = 0; i < n; i++) {
                JsonNode e = ex.get(i);
                pc[i] = (float) e.get("policy_chosen_logp").asDouble();
                pr[i] = (float) e.get("policy_rejected_logp").asDouble();
                rc[i] = (float) e.get("reference_chosen_logp").asDouble();
                rr[i] = (float) e.get("reference_rejected_logp").asDouble();
                nc[i] = e.get("chosen_ids").size();
                nr[i] = e.get("rejected_ids").size();
            }
            return new FixtureLogps(root, pc, pr, rc, rr, nc, nr);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    double beta() {
        return root.get("beta").asDouble();
    }

    double[] expectedPerExample(String loss) {
        JsonNode a = root.get("losses_per_example").get(loss);
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }

    double expectedMean(String loss) {
        return root.get("losses_mean").get(loss).asDouble();
    }

    double metric(String name) {
        return root.get("metrics").get(name).asDouble();
    }
}
