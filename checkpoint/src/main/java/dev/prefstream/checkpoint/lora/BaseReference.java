package dev.prefstream.checkpoint.lora;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.checkpoint.format.Sha256;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * Where the frozen base of a LoRA checkpoint is: a Hugging Face model directory by absolute path, and the SHA-256
 * that proves it is the same model the adapters were trained on. The hash covers the files that define the
 * weights ({@code config.json}, every {@code *.safetensors} and the shard index), as "name sha256\n" lines in name
 * order, hashed again; it is recomputed when a checkpoint is restored or served, which reads the whole base once
 * (about 2 s per GB on a laptop disk). The trainer writes new bases with its {@code BaseStore}.
 *
 * @param path   absolute directory of the base model
 * @param sha256 hash of its weight files as described above
 */
public record BaseReference(String path, String sha256) {

    private static final ObjectMapper JSON = new ObjectMapper();

    /** File inside a LoRA checkpoint's trainer-state/ (and an exported adapter directory) holding this record. */
    public static final String FILE = "base.json";

    /** Sub-directory of a checkpoints root holding bases written by the trainer (presets, REFRESH merges). */
    public static final String STORE_DIR = "lora-bases";

    /** References {@code dir} as it is now (hashing its weight files). */
    public static BaseReference of(Path dir) {
        Path abs = dir.toAbsolutePath().normalize();
        return new BaseReference(abs.toString(), hashOf(abs));
    }

    /** The base directory. */
    public Path dir() {
        return Path.of(path);
    }

    /**
     * Checks that the directory still holds the referenced model.
     *
     * @throws IllegalStateException naming the directory when it is gone or its files changed
     */
    public BaseReference verify() {
        Path dir = dir();
        if (!Files.isDirectory(dir)) {
            throw new IllegalStateException("LoRA base model " + dir + " is missing: the adapters were trained on it "
                    + "(sha256 " + sha256 + ")");
        }
        String now = hashOf(dir);
        if (!now.equals(sha256)) {
            throw new IllegalStateException("LoRA base model " + dir + " changed since the adapters were trained on "
                    + "it: sha256 " + now + ", expected " + sha256);
        }
        return this;
    }

    /** Hash of a model directory's weight files (see the class comment). */
    public static String hashOf(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            List<Path> files = s.filter(Files::isRegularFile).filter(p -> {
                String n = p.getFileName().toString();
                return n.equals("config.json") || n.endsWith(".safetensors") || n.equals("model.safetensors.index.json");
            }).sorted().toList();
            if (files.isEmpty()) {
                throw new IllegalArgumentException(dir + " holds no config.json or safetensors: not a model directory");
            }
            StringBuilder lines = new StringBuilder();
            for (Path f : files) {
                lines.append(f.getFileName()).append(' ').append(Sha256.ofFile(f)).append('\n');
            }
            return Sha256.of(lines.toString().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hash base model " + dir, e);
        }
    }

    /** Writes this reference as {@code file} (JSON). */
    public void write(Path file) {
        ObjectNode n = JSON.createObjectNode().put("path", path).put("sha256", sha256);
        try {
            Files.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Reads a reference written by {@link #write}. */
    public static BaseReference read(Path file) {
        try {
            var n = JSON.readTree(file.toFile());
            if (n == null || !n.hasNonNull("path") || !n.hasNonNull("sha256")) {
                throw new IllegalArgumentException(file + " is not a base reference (needs path and sha256)");
            }
            return new BaseReference(n.get("path").asText(), n.get("sha256").asText());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }
}
