package dev.prefstream.checkpoint.format;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Writes checkpoints so that a crash at any instant leaves either the previous state or the complete new
 * checkpoint, never a partial one that could be loaded:
 * <ol>
 *   <li>the content is written into {@code .tmp-<version>-<random>} inside the root (same file system, so the
 *       final rename is atomic);</li>
 *   <li>every file is hashed into the manifest, the manifest is written, every file and directory is fsynced;</li>
 *   <li>the directory is renamed to {@code step-<N>} and the root fsynced;</li>
 *   <li>{@code LATEST} is replaced atomically (temp file + fsync + rename).</li>
 * </ol>
 * Older checkpoints beyond {@code keepLast} are removed by renaming them to a {@code .trash-} name first, so a
 * reader never sees a half-deleted checkpoint either. One writer per root (the trainer is the single active member).
 */
public final class CheckpointWriter {

    private static final Logger log = LoggerFactory.getLogger(CheckpointWriter.class);

    private final Path root;
    private final int keepLast;

    /**
     * @param root     checkpoints root (created if absent); leftovers of crashed writes in it are removed
     * @param keepLast how many finished checkpoints to keep (>= 2, so a refused newest still has a fallback)
     */
    public CheckpointWriter(Path root, int keepLast) {
        if (keepLast < 2) {
            throw new IllegalArgumentException("keepLast must be >= 2 so that a damaged newest checkpoint has a fallback, got " + keepLast);
        }
        this.root = root;
        this.keepLast = keepLast;
        try {
            Files.createDirectories(root);
            removeLeftovers();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot prepare checkpoints root " + root, e);
        }
    }

    /** The checkpoints root. */
    public Path root() {
        return root;
    }

    /**
     * Writes one checkpoint atomically and returns it verified.
     *
     * @param draft   the manifest without file hashes (they are computed here); its version names the directory
     * @param content writes the checkpoint's files
     */
    public VerifiedCheckpoint write(CheckpointManifest draft, CheckpointContent content) {
        String version = draft.version();
        if (!CheckpointLayout.isCheckpointName(version)) {
            throw new IllegalArgumentException("checkpoint version must look like " + CheckpointLayout.versionFor(0) + ", got " + version);
        }
        Path tmp = root.resolve(CheckpointLayout.TEMP_PREFIX + version + "-" + UUID.randomUUID().toString().substring(0, 8));
        try {
            Files.createDirectory(tmp);
            content.writeTo(tmp);
            Map<String, String> hashes = new TreeMap<>();
            for (String rel : CheckpointReader.listFiles(tmp)) {
                if (rel.equals(CheckpointLayout.MANIFEST)) {
                    throw new CheckpointException("checkpoint content must not write " + CheckpointLayout.MANIFEST + " itself (" + tmp + ")");
                }
                hashes.put(rel, Sha256.ofFile(tmp.resolve(rel)));
            }
            CheckpointManifest manifest = draft.withFiles(hashes);
            byte[] manifestBytes = manifest.toJsonBytes();
            Files.write(tmp.resolve(CheckpointLayout.MANIFEST), manifestBytes);
            DurableFiles.fsyncTree(tmp);

            Path target = CheckpointLayout.dirOf(root, version);
            if (Files.exists(target)) {
                // Only a refused checkpoint (or one of an abandoned lineage) can sit at a step we are writing again:
                // the trainer resumed from an older one. Keep it aside for inspection instead of deleting evidence.
                Path aside = root.resolve(CheckpointLayout.QUARANTINE_PREFIX + version + "-" + System.currentTimeMillis());
                log.warn("Checkpoint directory {} already exists (refused or abandoned); moving it aside to {}", target, aside);
                DurableFiles.atomicMove(target, aside);
            }
            DurableFiles.atomicMove(tmp, target);
            DurableFiles.fsyncDirectory(root);
            DurableFiles.writeAtomically(root.resolve(CheckpointLayout.LATEST), (version + "\n").getBytes(StandardCharsets.UTF_8));
            log.info("Wrote checkpoint {} (step {}, iteration {}, {} files)", target, manifest.step(), manifest.iteration(), hashes.size() + 1);
            prune();
            return new VerifiedCheckpoint(target, manifest, Sha256.of(manifestBytes));
        } catch (IOException e) {
            cleanupQuietly(tmp);
            throw new CheckpointException("cannot write checkpoint " + version + " under " + root + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            cleanupQuietly(tmp);
            throw e;
        }
    }

    private void prune() throws IOException {
        List<Path> dirs = CheckpointReader.checkpointDirs(root);
        for (Path old : dirs.subList(Math.min(keepLast, dirs.size()), dirs.size())) {
            Path trash = root.resolve(CheckpointLayout.TRASH_PREFIX + old.getFileName() + "-" + UUID.randomUUID().toString().substring(0, 8));
            DurableFiles.atomicMove(old, trash);
            DurableFiles.deleteTree(trash);
            log.debug("Removed old checkpoint {}", old);
        }
    }

    private void removeLeftovers() throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.toList()) {
                String name = p.getFileName().toString();
                if (Files.isDirectory(p) && (name.startsWith(CheckpointLayout.TEMP_PREFIX) || name.startsWith(CheckpointLayout.TRASH_PREFIX))) {
                    log.info("Removing leftover of an interrupted checkpoint write/delete: {}", p);
                    DurableFiles.deleteTree(p);
                }
            }
        }
    }

    private static void cleanupQuietly(Path tmp) {
        try {
            DurableFiles.deleteTree(tmp);
        } catch (IOException e) {
            log.warn("Could not remove temporary checkpoint directory {}: {}", tmp, e.getMessage());
        }
    }
}
