package dev.prefstream.checkpoint.format;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CheckpointWriterReaderTest {

    @TempDir
    Path root;

    private static CheckpointManifest draft(long step, String parent) {
        return new CheckpointManifest(CheckpointManifest.FORMAT_VERSION, "tiny", CheckpointLayout.versionFor(step), parent, step, step / 10,
                "ref-0", step * 4, Instant.parse("2026-11-23T00:00:00Z").plusSeconds(step),
                Map.of("loss", 0.69 - step * 0.001, "rewards/margins", 0.01 * step),
                List.of(new PartitionOffset("preference-pairs", 1, step * 2), new PartitionOffset("preference-pairs", 0, step * 2 + 1)),
                Map.of("base_model", "preset:tiny"), Map.of());
    }

    private static CheckpointContent content(long step) {
        return dir -> {
            Files.writeString(dir.resolve("config.json"), "{\"step\":" + step + "}");
            Files.write(dir.resolve("model.safetensors"), new byte[]{1, 2, 3, (byte) step, 5, 6, 7, 8});
            Files.createDirectories(dir.resolve(CheckpointLayout.TRAINER_STATE_DIR));
            Files.writeString(dir.resolve(CheckpointLayout.TRAINER_STATE_DIR).resolve("optimizer.bin"), "moments-" + step);
        };
    }

    @Test
    void writesAtomicallyWithHashesAndLatestPointer() throws IOException {
        CheckpointWriter writer = new CheckpointWriter(root, 3);
        VerifiedCheckpoint first = writer.write(draft(10, null), content(10));
        VerifiedCheckpoint second = writer.write(draft(20, first.version()), content(20));

        assertThat(second.dir()).isEqualTo(root.resolve("step-0000000020"));
        assertThat(CheckpointReader.latestPointer(root)).contains("step-0000000020");
        assertThat(second.manifest().files()).containsOnlyKeys("config.json", "model.safetensors", "trainer-state/optimizer.bin");
        assertThat(second.manifest().files().get("config.json")).isEqualTo(Sha256.of("{\"step\":20}".getBytes(StandardCharsets.UTF_8)));
        assertThat(second.manifestSha256()).isEqualTo(Sha256.ofFile(second.dir().resolve("manifest.json")));
        assertThat(second.manifest().parentVersion()).isEqualTo("step-0000000010");
        assertThat(second.manifest().offsetsOf("preference-pairs")).containsExactly(Map.entry(0, 41L), Map.entry(1, 40L));
        try (Stream<Path> s = Files.list(root)) {
            assertThat(s.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("step-0000000010", "step-0000000020", "LATEST");
        }

        VerifiedCheckpoint newest = CheckpointReader.newestGood(root).orElseThrow();
        assertThat(newest.version()).isEqualTo("step-0000000020");
        assertThat(newest.manifest()).isEqualTo(second.manifest());
        assertThat(newest.manifest().metrics()).containsEntry("loss", 0.69 - 0.02);
    }

    @Test
    void flippedByteIsRefusedAndThePreviousCheckpointIsUsed() throws IOException {
        CheckpointWriter writer = new CheckpointWriter(root, 3);
        writer.write(draft(10, null), content(10));
        VerifiedCheckpoint second = writer.write(draft(20, "step-0000000010"), content(20));

        Path weights = second.dir().resolve("model.safetensors");
        byte[] bytes = Files.readAllBytes(weights);
        bytes[3] ^= 0x01;
        Files.write(weights, bytes);

        CheckpointVerification v = CheckpointReader.verify(second.dir());
        assertThat(v.isGood()).isFalse();
        assertThat(v.badFile()).isEqualTo("model.safetensors");
        assertThat(v.problem()).contains("sha256").contains("manifest says");

        VerifiedCheckpoint used = CheckpointReader.newestGood(root).orElseThrow();
        assertThat(used.version()).isEqualTo("step-0000000010");
        assertThat(used.step()).isEqualTo(10);
    }

    @Test
    void halfWrittenTempDirAndIncompleteDirsAreIgnored() throws IOException {
        CheckpointWriter writer = new CheckpointWriter(root, 3);
        writer.write(draft(10, null), content(10));
        // a crash while writing step 30: content half there, no manifest, never renamed
        Path tmp = Files.createDirectory(root.resolve(".tmp-step-0000000030-deadbeef"));
        Files.write(tmp.resolve("model.safetensors"), new byte[]{9, 9});
        // a directory with a final name but no manifest (e.g. copied in by hand, half way)
        Path noManifest = Files.createDirectory(root.resolve("step-0000000040"));
        Files.write(noManifest.resolve("model.safetensors"), new byte[]{9, 9});

        assertThat(CheckpointReader.newestGood(root)).get().extracting(VerifiedCheckpoint::version).isEqualTo("step-0000000010");
        assertThat(CheckpointReader.verify(noManifest).badFile()).isEqualTo("manifest.json");

        // the next writer on this root removes the crashed temp directory
        new CheckpointWriter(root, 3);
        assertThat(tmp).doesNotExist();
    }

    @Test
    void missingUnlistedAndWrongManifestAreRefused() throws IOException {
        CheckpointWriter writer = new CheckpointWriter(root, 3);
        VerifiedCheckpoint cp = writer.write(draft(10, null), content(10));

        assertThat(CheckpointReader.verify(cp.dir(), cp.manifestSha256()).isGood()).isTrue();
        CheckpointVerification wrongAnnounce = CheckpointReader.verify(cp.dir(), "00".repeat(32));
        assertThat(wrongAnnounce.isGood()).isFalse();
        assertThat(wrongAnnounce.problem()).contains("was announced");

        Files.writeString(cp.dir().resolve("extra.bin"), "x");
        assertThat(CheckpointReader.verify(cp.dir()).badFile()).isEqualTo("extra.bin");
        Files.delete(cp.dir().resolve("extra.bin"));

        Files.delete(cp.dir().resolve("config.json"));
        CheckpointVerification missing = CheckpointReader.verify(cp.dir());
        assertThat(missing.badFile()).isEqualTo("config.json");
        assertThat(missing.problem()).contains("missing");
        assertThatThrownBy(missing::orThrow).isInstanceOf(CheckpointException.class).hasMessageContaining(cp.dir().toString());
        assertThat(CheckpointReader.newestGood(root)).isEmpty();
    }

    @Test
    void keepsOnlyTheNewestAndMovesARefusedDirectoryAsideWhenItsStepIsWrittenAgain() throws IOException {
        CheckpointWriter writer = new CheckpointWriter(root, 2);
        for (long s = 1; s <= 4; s++) {
            writer.write(draft(s, s == 1 ? null : CheckpointLayout.versionFor(s - 1)), content(s));
        }
        assertThat(CheckpointReader.checkpointDirs(root)).extracting(p -> p.getFileName().toString())
                .containsExactly("step-0000000004", "step-0000000003");

        Files.writeString(root.resolve("step-0000000004").resolve("config.json"), "tampered");
        assertThat(CheckpointReader.newestGood(root)).get().extracting(VerifiedCheckpoint::step).isEqualTo(3L);
        VerifiedCheckpoint rewritten = writer.write(draft(4, "step-0000000003"), content(4));
        assertThat(CheckpointReader.verify(rewritten.dir()).isGood()).isTrue();
        try (Stream<Path> s = Files.list(root)) {
            assertThat(s.map(p -> p.getFileName().toString())).anyMatch(n -> n.startsWith(".refused-step-0000000004-"));
        }
    }

    @Test
    void manifestJsonRoundTripsAndNamesMissingFields() {
        CheckpointManifest m = draft(7, "step-0000000006").withFiles(Map.of("a", "ab", "b/c", "cd"));
        byte[] json = m.toJsonBytes();
        assertThat(CheckpointManifest.fromJsonBytes(json, "test")).isEqualTo(m);
        assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"next_offset\" : 15").contains("\"parent_version\" : \"step-0000000006\"");
        assertThat(Sha256.of(json)).isEqualTo(Sha256.of(CheckpointManifest.fromJsonBytes(json, "test").toJsonBytes()));

        assertThatThrownBy(() -> CheckpointManifest.fromJsonBytes("{\"format_version\":1}".getBytes(StandardCharsets.UTF_8), "x.json"))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("x.json").hasMessageContaining("lacks field");
    }
}
