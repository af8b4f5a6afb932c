package dev.prefstream.trainer.model;

import ai.djl.Device;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.trainer.chat.InstructModels;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Models are saved in their source dtype: a bf16 (fp16) directory loads as float32, saves back as bf16 (fp16) with
 * the same bytes, and config.json keeps its torch_dtype; a config without one takes the stored tensors' dtype.
 */
class SourceDtypeSaveTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static String storedDtype(Path dir) {
        try (SafetensorsReader r = SafetensorsReader.open(dir.resolve(HfModelLoader.WEIGHTS_FILE))) {
            return r.entries().values().stream().map(SafetensorsReader.Entry::dtype).distinct().reduce((a, b) -> a + "," + b).orElse("");
        }
    }

    private static String torchDtype(Path dir) throws Exception {
        return JSON.readTree(dir.resolve(HfModelLoader.CONFIG_FILE).toFile()).path("torch_dtype").asText();
    }

    private static void resave(Path from, Path to) {
        try (DecoderModel m = HfModelLoader.load(from, Device.cpu())) {
            HfModelSaver.save(m, to, null);
        }
    }

    @Test
    void bf16SourceRoundTripsByteExactly() throws Exception {
        Path src = InstructModels.qwen25(tmp.resolve("src"), "bfloat16");
        assertThat(storedDtype(src)).isEqualTo("BF16");
        long size = Files.size(src.resolve(HfModelLoader.WEIGHTS_FILE));
        resave(src, tmp.resolve("a"));
        resave(tmp.resolve("a"), tmp.resolve("b"));
        byte[] original = Files.readAllBytes(src.resolve(HfModelLoader.WEIGHTS_FILE));
        assertThat(Files.readAllBytes(tmp.resolve("a").resolve(HfModelLoader.WEIGHTS_FILE))).isEqualTo(original);
        assertThat(Files.readAllBytes(tmp.resolve("b").resolve(HfModelLoader.WEIGHTS_FILE))).isEqualTo(original);
        assertThat(torchDtype(tmp.resolve("b"))).isEqualTo("bfloat16");
        assertThat(JSON.readTree(tmp.resolve("b").resolve(HfModelLoader.CONFIG_FILE).toFile()).path("dtype").asText()).isEqualTo("bfloat16");
        // about half the float32 size (the header is the same)
        resaveAsFloat32(src, tmp.resolve("f32"));
        assertThat(Files.size(tmp.resolve("f32").resolve(HfModelLoader.WEIGHTS_FILE))).isBetween(2 * size - 4096, 2 * size);
    }

    @Test
    void bf16ValuesAreTheRoundedFloat32Values() {
        Path src = InstructModels.llama3(tmp.resolve("f32"), "float32");
        Path cfg = src.resolve(HfModelLoader.CONFIG_FILE);
        try (DecoderModel f32 = HfModelLoader.load(src, Device.cpu())) {
            float[] before = f32.parameters().get("model.embed_tokens.weight").toFloatArray();
            Files.writeString(cfg, Files.readString(cfg).replace("\"torch_dtype\" : \"float32\"", "\"torch_dtype\" : \"bfloat16\"")
                    .replace("\"dtype\" : \"float32\"", "\"dtype\" : \"bfloat16\""));
            resave(src, tmp.resolve("bf16"));
            assertThat(storedDtype(tmp.resolve("bf16"))).isEqualTo("BF16");
            try (DecoderModel bf = HfModelLoader.load(tmp.resolve("bf16"), Device.cpu())) {
                float[] after = bf.parameters().get("model.embed_tokens.weight").toFloatArray();
                float[] expected = new float[before.length];
                for (int i = 0; i < before.length; i++) {
                    expected[i] = BFloat16.toFloat(BFloat16.fromFloat(before[i]));
                }
                assertThat(after).containsExactly(expected);
                assertThat(Arrays.equals(after, before)).isFalse();
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void fp16SourceRoundTripsByteExactly() throws Exception {
        Path src = InstructModels.llama3(tmp.resolve("src"), "float16");
        assertThat(storedDtype(src)).isEqualTo("F16");
        resave(src, tmp.resolve("a"));
        assertThat(Files.readAllBytes(tmp.resolve("a").resolve(HfModelLoader.WEIGHTS_FILE)))
                .isEqualTo(Files.readAllBytes(src.resolve(HfModelLoader.WEIGHTS_FILE)));
        assertThat(torchDtype(tmp.resolve("a"))).isEqualTo("float16");
    }

    @Test
    void withoutADeclaredDtypeTheStoredOneIsKept() throws Exception {
        Path src = InstructModels.qwen25(tmp.resolve("src"), "bfloat16");
        Path cfg = src.resolve(HfModelLoader.CONFIG_FILE);
        var o = (com.fasterxml.jackson.databind.node.ObjectNode) JSON.readTree(cfg.toFile());
        o.remove("torch_dtype");
        o.remove("dtype");
        Files.writeString(cfg, o.toString());
        resave(src, tmp.resolve("a"));
        assertThat(storedDtype(tmp.resolve("a"))).isEqualTo("BF16");
        assertThat(torchDtype(tmp.resolve("a"))).isEqualTo("bfloat16");
        assertThat(Files.readAllBytes(tmp.resolve("a").resolve(HfModelLoader.WEIGHTS_FILE)))
                .isEqualTo(Files.readAllBytes(src.resolve(HfModelLoader.WEIGHTS_FILE)));
    }

    private static void resaveAsFloat32(Path from, Path to) throws Exception {
        resave(from, to);
        Path cfg = to.resolve(HfModelLoader.CONFIG_FILE);
        Files.writeString(cfg, Files.readString(cfg).replace("bfloat16", "float32"));
        Path f32 = to.resolveSibling(to.getFileName() + "-2");
        resave(to, f32);
        Files.copy(f32.resolve(HfModelLoader.WEIGHTS_FILE), to.resolve(HfModelLoader.WEIGHTS_FILE), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
}
