package dev.prefstream.trainer.model;

import ai.djl.Device;
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

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A model directory from an untrusted place: config.json dimensions whose products overflow, and safetensors
 * headers the reference implementation refuses (too large, overlapping, holes, trailing bytes, overflowing shapes,
 * negative dims, duplicate names) fail with a ModelFormatException naming the file and the tensor, before anything
 * is allocated; the valid fixture next to them still loads.
 */
class HostileModelFilesTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private Path safetensors(String name, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Path f = tmp.resolve(name);
        Files.write(f, b.array());
        return f;
    }

    @Test
    void headersTheReferenceRefusesAreRefusedNamingFileAndTensor() throws IOException {
        record Case(String header, int data, String expected) {
        }
        Case[] cases = {
                new Case("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "tensor b starts at data offset 4 but tensor a ends at 8 (overlap)"),
                new Case("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16]}}", 16, "tensor b starts at data offset 12 but tensor a ends at 8 (hole)"),
                new Case("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 100, "cover 8 bytes of data but the file has 100 after the header (trailing bytes)"),
                new Case("{\"a\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904,4],\"data_offsets\":[0,8]}}", 8, "tensor a has a shape [4611686018427387904,4] whose element count overflows"),
                new Case("{\"a\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,8]}}", 8, "tensor a has a shape [2305843009213693952] x dtype F64 size that overflows"),
                new Case("{\"a\":{\"dtype\":\"F32\",\"shape\":[-2],\"data_offsets\":[0,8]}}", 8, "tensor a has a shape entry that is not a non-negative integer"),
                new Case("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "Duplicate field 'a'"),
                new Case("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,1.5]}}", 8, "tensor a has data_offsets that are not non-negative integers"),
                new Case("[1,2]", 0, "header does not start with '{'"),
        };
        int i = 0;
        for (Case c : cases) {
            Path f = safetensors("case" + (i++) + ".safetensors", c.header(), c.data());
            assertThatThrownBy(() -> SafetensorsReader.open(f).close()).as(c.header())
                    .isInstanceOf(ModelFormatException.class).hasMessageContaining(f.toString()).hasMessageContaining(c.expected());
        }
        Path ok = safetensors("ok.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", 12);
        try (SafetensorsReader r = SafetensorsReader.open(ok)) {
            assertThat(r.entries()).containsOnlyKeys("a", "b", "z");
            assertThat(r.readFloats("b")).hasSize(1);
        }
    }

    @Test
    void aHeaderLongerThanTheReferenceLimitIsRefusedUnread() throws IOException {
        Path f = tmp.resolve("huge.safetensors");
        ByteBuffer b = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(100_000_001L).put("{\"a\":1}".getBytes(StandardCharsets.UTF_8));
        Files.write(f, b.array());
        try (var ch = java.nio.channels.FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            ch.write(ByteBuffer.wrap(new byte[]{0}), 100_000_100L); // sparse: large enough for the header length
        }
        assertThatThrownBy(() -> SafetensorsReader.open(f)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(f.toString()).hasMessageContaining("invalid safetensors header length 100000001");
        assertThat(SafetensorsReader.MAX_HEADER).isEqualTo(100_000_000L);
    }

    @Test
    void configDimensionsWhoseProductsOverflowAreRefusedNamingTheFileAndTheValidFixtureStillLoads() throws IOException {
        Path dir = tmp.resolve("llama");
        Files.createDirectories(dir);
        for (String f : new String[]{"config.json", "model.safetensors"}) {
            Files.copy(Fixtures.dir("llama").resolve("policy").resolve(f), dir.resolve(f));
        }
        String original = Files.readString(dir.resolve("config.json"));
        String[][] edits = {
                {"vocab_size", "2000000000", "vocab_size x hidden_size (embedding)"},
                {"intermediate_size", "2147483647", "hidden_size x intermediate_size (MLP)"},
                {"max_position_embeddings", "2147483000", "max_position_embeddings x max(head_dim, hidden_size)"},
                {"hidden_size", "4294967297", "must be an integer"},
                {"num_hidden_layers", "-1", "num_hidden_layers must be > 0"},
        };
        for (String[] e : edits) {
            ObjectNode cfg = (ObjectNode) JSON.readTree(original);
            cfg.set(e[0], JSON.readTree(e[1]));
            Files.writeString(dir.resolve("config.json"), JSON.writeValueAsString(cfg));
            assertThatThrownBy(() -> HfModelLoader.load(dir, Device.cpu())).as(e[0])
                    .isInstanceOf(ModelFormatException.class).hasMessageContaining(dir.resolve("config.json").toString()).hasMessageContaining(e[2]);
        }
        Files.writeString(dir.resolve("config.json"), original);
        try (DecoderModel m = HfModelLoader.load(dir, Device.cpu())) {
            assertThat(m.config().vocabSize()).isPositive();
        }
    }
}
