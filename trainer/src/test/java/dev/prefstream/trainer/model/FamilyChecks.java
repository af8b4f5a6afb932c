package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Checks every family test runs on its own random checkpoint, whatever the family's graph. */
final class FamilyChecks {

    private static final ObjectMapper JSON = new ObjectMapper();

    private FamilyChecks() {
    }

    /** Each sequence's logits in a right-padded batch (mask 0 after its end) equal its logits alone. */
    static void rightPaddedBatchEqualsEachAlone(Path dir, long[][] seqs) {
        int t = Arrays.stream(seqs).mapToInt(s -> s.length).max().orElseThrow();
        long[] ids = new long[seqs.length * t];
        long[] mask = new long[seqs.length * t];
        for (int i = 0; i < seqs.length; i++) {
            System.arraycopy(seqs[i], 0, ids, i * t, seqs[i].length);
            Arrays.fill(mask, i * t, i * t + seqs[i].length, 1);
        }
        try (DecoderModel model = HfModelLoader.load(dir, Device.cpu());
             NDManager m = NDManager.newBaseManager(Device.cpu())) {
            int v = model.config().vocabSize();
            float[] batched = model.forward(m.create(ids, new Shape(seqs.length, t)),
                    m.create(mask, new Shape(seqs.length, t))).toFloatArray();
            for (int i = 0; i < seqs.length; i++) {
                long[] s = seqs[i];
                float[] alone = model.forward(m.create(s, new Shape(1, s.length)), null).toFloatArray();
                float worst = 0;
                for (int j = 0; j < s.length * v; j++) {
                    worst = Math.max(worst, Math.abs(alone[j] - batched[i * t * v + j]));
                }
                assertThat(worst).as("sequence %d", i).isLessThan(1e-4f);
            }
        }
    }

    /** Loading {@code dir} after deleting {@code tensor} from its model.safetensors fails naming file, tensor and type. */
    static void missingTensorIsNamed(Path dir, String tensor) {
        Map<String, NDArray> stored = new LinkedHashMap<>();
        String modelType = ModelConfig.read(dir.resolve("config.json")).modelType();
        try (NDManager m = NDManager.newBaseManager(Device.cpu())) {
            try (SafetensorsReader r = SafetensorsReader.open(dir.resolve("model.safetensors"))) {
                for (String name : r.entries().keySet()) {
                    stored.put(name, r.read(name, m));
                }
            }
            assertThat(stored.remove(tensor)).as(tensor).isNotNull();
            SafetensorsWriter.write(dir.resolve("model.safetensors"), stored);
        }
        assertThatThrownBy(() -> HfModelLoader.load(dir, Device.cpu()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.safetensors")
                .hasMessageContaining("missing tensor " + tensor)
                .hasMessageContaining(modelType);
    }

    /**
     * Saves the model loaded from a checkpoint into {@code work}/saved: exactly the config's parameters, each with
     * the bits of {@code source} (the tensors the checkpoint was written with), nothing left in the model's
     * manager; loading that gives the same config and weights, and saving it again gives the same file.
     *
     * @return the saved config.json, for the family's own key checks
     */
    static ObjectNode saveKeepsTheSourceBits(Path checkpoint, Map<String, float[]> source, Path work)
            throws IOException {
        try (DecoderModel model = HfModelLoader.load(checkpoint, Device.cpu())) {
            Path saved = work.resolve("saved");
            int before = model.manager().getManagedArrays().size();
            HfModelSaver.save(model, saved, null);
            assertThat(model.manager().getManagedArrays()).hasSize(before);
            try (SafetensorsReader r = SafetensorsReader.open(saved.resolve("model.safetensors"))) {
                assertThat(r.entries().keySet()).containsExactlyElementsOf(
                        WeightLayout.of(model.config()).keySet());
                for (Map.Entry<String, float[]> e : source.entrySet()) {
                    SaveLoadRoundTripTest.assertSameBits(e.getKey(), e.getValue(), r.readFloats(e.getKey()));
                }
            }
            try (DecoderModel back = HfModelLoader.load(saved, Device.cpu())) {
                assertThat(back.config().withoutSource()).isEqualTo(model.config().withoutSource());
                SaveLoadRoundTripTest.assertBitIdentical(model, back);
                Path again = work.resolve("again");
                HfModelSaver.save(back, again, null);
                assertThat(Files.mismatch(saved.resolve("model.safetensors"), again.resolve("model.safetensors")))
                        .isEqualTo(-1L);
            }
            return (ObjectNode) JSON.readTree(Files.readString(saved.resolve("config.json")));
        }
    }

    /** Every stored tensor of a checkpoint as floats, by stored name. */
    static Map<String, float[]> storedTensors(Path checkpoint) {
        Map<String, float[]> r = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(checkpoint.resolve("model.safetensors"))) {
            for (String name : reader.entries().keySet()) {
                r.put(name, reader.readFloats(name));
            }
        }
        return r;
    }

    /** Parsing {@code json} fails naming the source ("config.json: ...") and saying {@code message}. */
    static void refusedWhenRead(String json, String message) {
        assertThatThrownBy(() -> ModelConfig.parse(json, "config.json"))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageStartingWith("config.json: ")
                .hasMessageContaining(message);
    }

    /** max |a[i]|. */
    static double maxAbs(double[] a) {
        return Arrays.stream(a).map(Math::abs).max().orElseThrow();
    }

    /** max |expected[i] - actual[i]|, after checking the lengths agree. */
    static double maxAbsDiff(double[] expected, float[] actual) {
        assertThat(actual).hasSize(expected.length);
        double worst = 0;
        for (int i = 0; i < expected.length; i++) {
            worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
        }
        return worst;
    }

    /**
     * One backward pass of the summed log-prob must reach the named parameters; decoding the same tokens one at a
     * time through a {@link KvCache} must give every position's full-pass logits; nothing may be left in the
     * model's manager.
     *
     * @param gradientNames parameters that must get a gradient; empty means every parameter
     * @param minGradient   the smallest acceptable max |gradient| of each
     */
    static void gradientsAndCachedDecoding(Path dir, long[] tokens, Collection<String> gradientNames, float minGradient) {
        try (DecoderModel model = HfModelLoader.load(dir, Device.cpu())) {
            model.setTrainable(true);
            int before = model.manager().getManagedArrays().size();
            try (NDManager scope = model.manager().newSubManager()) {
                NDArray input = scope.create(tokens, new Shape(1, tokens.length));
                NDArray lossMask = scope.ones(new Shape(1, tokens.length), DataType.INT64);
                float[] full = model.forward(input, null).toFloatArray();
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray logits = model.forward(input, null);
                    gc.backward(SequenceLogProbs.sumLogProbs(logits, input, lossMask).neg());
                }
                Collection<String> names = gradientNames.isEmpty() ? model.parameters().keySet() : gradientNames;
                for (String name : names) {
                    NDArray g = model.parameters().get(name).getGradient();
                    g.attach(scope);
                    assertThat(g.abs().max().getFloat()).as(name).isGreaterThan(minGradient);
                }
                try (KvCache cache = new KvCache(scope, model.config().numLayers())) {
                    int v = model.config().vocabSize();
                    for (int i = 0; i < tokens.length; i++) {
                        try (NDManager step = scope.newSubManager()) {
                            float[] one = model.forward(step.create(new long[] {tokens[i]}, new Shape(1, 1)), null,
                                    null, cache).toFloatArray();
                            float worst = 0;
                            for (int j = 0; j < v; j++) {
                                worst = Math.max(worst, Math.abs(one[j] - full[i * v + j]));
                            }
                            assertThat(worst).as("cached position %d", i).isLessThan(1e-4f);
                        }
                    }
                }
            }
            model.setTrainable(false);
            assertThat(model.manager().getManagedArrays()).as("arrays in the model's manager").hasSize(before);
        }
    }

    /** The float16 model's logits stay within 2% of the largest float32 logit, and its forward leaves no arrays. */
    static void float16StaysCloseAndLeavesNothing(Path dir) {
        try (DecoderModel full = HfModelLoader.load(dir, Device.cpu());
             DecoderModel half = HfModelLoader.load(dir, Device.cpu(), DataType.FLOAT16);
             NDManager m = NDManager.newBaseManager(Device.cpu())) {
            NDArray ids = m.create(new long[] {3, 11, 25, 4, 17}, new Shape(1, 5));
            float[] expected = full.forward(ids, null).toFloatArray();
            int before = half.manager().getManagedArrays().size();
            float[] actual = half.forward(ids, null).toFloatArray();
            assertThat(half.manager().getManagedArrays()).hasSize(before);
            double worst = 0;
            double largest = 0;
            for (int i = 0; i < expected.length; i++) {
                worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                largest = Math.max(largest, Math.abs(expected[i]));
            }
            assertThat(worst).isLessThan(0.02 * largest);
        }
    }
}
