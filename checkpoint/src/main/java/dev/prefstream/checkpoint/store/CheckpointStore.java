package dev.prefstream.checkpoint.store;

import dev.prefstream.checkpoint.format.VerifiedCheckpoint;

import java.net.URI;
import java.nio.file.Path;

/**
 * Where published checkpoints live, behind an interface so that an object store (S3, GCS, ...) can replace the
 * local directory: {@link #put} uploads and verifies a checkpoint, {@link #fetch} brings one to a local directory
 * and verifies it against the manifest hash announced on the registry.
 */
public interface CheckpointStore {

    /**
     * Copies a checkpoint into the store (idempotent: an identical copy already there is kept) and verifies the copy.
     *
     * @return the URI the registry record announces
     */
    URI put(VerifiedCheckpoint checkpoint);

    /**
     * A local, verified copy of the checkpoint at {@code uri} whose manifest must hash to {@code manifestSha256}.
     *
     * @param cacheDir where remote stores download to (a local store may verify in place)
     * @throws dev.prefstream.checkpoint.format.CheckpointException when missing or not matching
     */
    VerifiedCheckpoint fetch(URI uri, String manifestSha256, Path cacheDir);
}
