package dev.prefstream.checkpoint.store;

import dev.prefstream.checkpoint.format.CheckpointException;
import dev.prefstream.checkpoint.format.CheckpointLayout;
import dev.prefstream.checkpoint.format.CheckpointManifest;
import dev.prefstream.checkpoint.format.CheckpointWriter;
import dev.prefstream.checkpoint.format.PartitionOffset;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalDirectoryCheckpointStoreTest {

    @TempDir
    Path tmp;

    private VerifiedCheckpoint checkpoint(long step) {
        CheckpointManifest draft = new CheckpointManifest(CheckpointManifest.FORMAT_VERSION, "tiny", CheckpointLayout.versionFor(step), null, step, 0,
                "ref-0", step * 4, Instant.parse("2026-11-23T00:00:00Z"), Map.of("loss", 0.5), List.of(new PartitionOffset("preference-pairs", 0, step)),
                Map.of(), Map.of());
        return new CheckpointWriter(tmp.resolve("trainer"), 3).write(draft, dir -> {
            Files.writeString(dir.resolve("config.json"), "{}");
            Files.write(dir.resolve("model.safetensors"), new byte[]{1, 2, 3, (byte) step});
        });
    }

    @Test
    void copiesVerifiesAndFetchesByAnnouncedHash() throws Exception {
        LocalDirectoryCheckpointStore store = new LocalDirectoryCheckpointStore(tmp.resolve("store"));
        VerifiedCheckpoint cp = checkpoint(3);
        URI uri = store.put(cp);
        assertThat(Path.of(uri)).isEqualTo(tmp.resolve("store").resolve("tiny").resolve("step-0000000003").toAbsolutePath());
        assertThat(store.put(cp)).isEqualTo(uri); // idempotent

        VerifiedCheckpoint fetched = store.fetch(uri, cp.manifestSha256(), tmp.resolve("cache"));
        assertThat(fetched.manifest()).isEqualTo(cp.manifest());
        assertThat(Files.readAllBytes(fetched.dir().resolve("model.safetensors"))).isEqualTo(new byte[]{1, 2, 3, 3});

        assertThatThrownBy(() -> store.fetch(uri, "ab".repeat(32), tmp)).isInstanceOf(CheckpointException.class).hasMessageContaining("announced");
        Files.write(Path.of(uri).resolve("model.safetensors"), new byte[]{9});
        assertThatThrownBy(() -> store.fetch(uri, cp.manifestSha256(), tmp)).isInstanceOf(CheckpointException.class).hasMessageContaining("model.safetensors");
        // publishing again repairs the damaged store copy
        assertThat(store.put(cp)).isEqualTo(uri);
        assertThat(store.fetch(uri, cp.manifestSha256(), tmp).manifestSha256()).isEqualTo(cp.manifestSha256());
    }
}
