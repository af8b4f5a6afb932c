package dev.prefstream.checkpoint.format;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A checkpoint directory whose every file matched its manifest at the moment it was verified.
 *
 * @param dir            the checkpoint directory
 * @param manifest       its parsed manifest
 * @param manifestSha256 SHA-256 of its manifest.json bytes (the id announced on model-registry)
 */
public record VerifiedCheckpoint(Path dir, CheckpointManifest manifest, String manifestSha256) {

    public VerifiedCheckpoint {
        Objects.requireNonNull(dir, "dir");
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(manifestSha256, "manifestSha256");
    }

    /** Shorthand for {@code manifest().version()}. */
    public String version() {
        return manifest.version();
    }

    /** Shorthand for {@code manifest().step()}. */
    public long step() {
        return manifest.step();
    }
}
