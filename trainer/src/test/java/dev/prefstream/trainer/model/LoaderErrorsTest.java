package dev.prefstream.trainer.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Bad model directories fail with messages that name the file and the tensor or key. */
class LoaderErrorsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path copyOf(String family) throws IOException {
        Path dir = tmp.resolve(family);
        Files.createDirectories(dir);
        for (String f : new String[] {"config.json", "model.safetensors"}) {
            Files.copy(Fixtures.dir(family).resolve("policy").resolve(f), dir.resolve(f));
        }
        return dir;
    }

    private static void editConfig(Path dir, String key, Object value) throws IOException {
        ObjectNode cfg = (ObjectNode) JSON.readTree(dir.resolve("config.json").toFile());
        cfg.set(key, JSON.valueToTree(value));
        Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(cfg));
    }

    @Test
    void unknownModelTypeNamesTheConfigFileAndTheValue() throws IOException {
        Path dir = copyOf("llama");
        editConfig(dir, "model_type", "mamba");
        assertThatThrownBy(() -> HfModelLoader.load(dir, Device.cpu()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(dir.resolve("config.json").toString())
                .hasMessageContaining("'mamba'")
                .hasMessageContaining("llama");
    }

    @Test
    void missingTensorNamesTheWeightsFileAndTheTensor() throws IOException {
        Path dir = copyOf("llama");
        String dropped = "model.layers.1.self_attn.k_proj.weight";
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
             SafetensorsReader r = SafetensorsReader.open(dir.resolve("model.safetensors"))) {
            Map<String, NDArray> kept = new LinkedHashMap<>();
            for (String name : r.entries().keySet()) {
                if (!name.equals(dropped)) {
                    kept.put(name, r.read(name, m));
                }
            }
            SafetensorsWriter.write(dir.resolve("model.safetensors"), kept);
        }
        assertThatThrownBy(() -> HfModelLoader.load(dir, Device.cpu()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(dir.resolve("model.safetensors").toString())
                .hasMessageContaining("missing tensor " + dropped);
    }

    @Test
    void shapeMismatchNamesTensorExpectedAndActualShapes() throws IOException {
        Path dir = copyOf("gpt2");
        editConfig(dir, "vocab_size", 500);
        assertThatThrownBy(() -> HfModelLoader.load(dir, Device.cpu()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("transformer.wte.weight")
                .hasMessageContaining("(400, 64)")
                .hasMessageContaining("expected (500, 64)");
    }

    @Test
    void invalidHeadCountsAreRejectedWithTheKeys() throws IOException {
        Path dir = copyOf("llama");
        editConfig(dir, "num_key_value_heads", 3);
        assertThatThrownBy(() -> HfModelLoader.load(dir, Device.cpu()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("config.json")
                .hasMessageContaining("num_key_value_heads (3)");
    }

    @Test
    void missingWeightsFileIsNamed() throws IOException {
        Path dir = copyOf("gpt2");
        Files.delete(dir.resolve("model.safetensors"));
        assertThatThrownBy(() -> HfModelLoader.load(dir, Device.cpu()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.safetensors");
    }

    @Test
    void truncatedSafetensorsIsRejectedNamingTheFile() throws IOException {
        Path dir = copyOf("gpt2");
        Path file = dir.resolve("model.safetensors");
        byte[] all = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(all, all.length - 100));
        assertThatThrownBy(() -> HfModelLoader.load(dir, Device.cpu()))
                .isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("data_offsets");
    }

    @Test
    void shardedCheckpointWithBasePrefixLessNamesLoadsTheSameWeights() throws IOException {
        Path dir = copyOf("gpt2");
        Path single = dir.resolve("model.safetensors");
        ObjectNode index = JSON.createObjectNode();
        ObjectNode map = index.putObject("weight_map");
        try (NDManager m = NDManager.newBaseManager(Device.cpu());
             SafetensorsReader r = SafetensorsReader.open(single)) {
            Map<String, NDArray> a = new LinkedHashMap<>();
            Map<String, NDArray> b = new LinkedHashMap<>();
            int i = 0;
            for (String name : r.entries().keySet()) {
                // GPT2Model (no LM head) checkpoints store names without "transformer."
                String stored = name.replaceFirst("^transformer\\.", "");
                String shard = (i++ % 2 == 0) ? "model-00001-of-00002.safetensors" : "model-00002-of-00002.safetensors";
                (shard.startsWith("model-00001") ? a : b).put(stored, r.read(name, m));
                map.put(stored, shard);
            }
            SafetensorsWriter.write(dir.resolve("model-00001-of-00002.safetensors"), a);
            SafetensorsWriter.write(dir.resolve("model-00002-of-00002.safetensors"), b);
        }
        Files.move(single, tmp.resolve("single.safetensors"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), JSON.writeValueAsString(index));
        try (DecoderModel sharded = HfModelLoader.load(dir, Device.cpu());
             DecoderModel original = HfModelLoader.load(Fixtures.dir("gpt2").resolve("policy"), Device.cpu())) {
            SaveLoadRoundTripTest.assertBitIdentical(original, sharded);
        }
    }

    @Test
    void halfPrecisionTensorsAreWidenedExactly() throws IOException {
        // F16: 1.0 = 0x3C00, -2.5 = 0xC100, 65504 = 0x7BFF, smallest subnormal 2^-24 = 0x0001
        // BF16: 1.0 = 0x3F80, -2.5 = 0xC020, 3.0e38-ish = 0x7F61 (upper half of float bits)
        short[] f16 = {0x3C00, (short) 0xC100, 0x7BFF, 0x0001};
        short[] bf16 = {0x3F80, (short) 0xC020, 0x7F61, 0x0000};
        String header = "{\"a\":{\"dtype\":\"F16\",\"shape\":[2,2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[8,16]},"
                + "\"c\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[16,32]}}";
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + h.length + 32).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(h.length).put(h);
        for (short s : f16) {
            buf.putShort(s);
        }
        for (short s : bf16) {
            buf.putShort(s);
        }
        buf.putLong(-7L).putLong(1L << 40);
        Path file = tmp.resolve("half.safetensors");
        Files.write(file, buf.array());
        try (SafetensorsReader r = SafetensorsReader.open(file)) {
            assertThat(r.readFloats("a")).containsExactly(1f, -2.5f, 65504f, (float) Math.pow(2, -24));
            assertThat(r.readFloats("b")).containsExactly(1f, -2.5f, Float.intBitsToFloat(0x7F610000), 0f);
            assertThat(r.readLongs("c")).containsExactly(-7L, 1L << 40);
            assertThat(r.entry("a").djlShape().getShape()).containsExactly(2, 2);
        }
    }
}
