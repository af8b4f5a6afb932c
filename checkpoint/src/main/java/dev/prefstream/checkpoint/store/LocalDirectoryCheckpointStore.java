package dev.prefstream.checkpoint.store;

import dev.prefstream.checkpoint.format.CheckpointException;
import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.CheckpointVerification;
import dev.prefstream.checkpoint.format.DurableFiles;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * The default store: {@code <root>/<model>/<version>/} on a local or mounted file system. A copy is made into a
 * temporary directory next to its final place, verified against the manifest, fsynced and renamed, so readers
 * never see a partial copy. URIs are {@code file:} URIs of the final directory.
 * <p>
 * URIs and names come from registry records, which are inputs: {@link #fetch} accepts only directories inside the
 * root after resolving {@code ..} and symbolic links, and {@link #put} only model names and versions that are one
 * plain path segment, so no record chooses a path outside the store. Symbolic links inside a checkpoint are refused
 * by {@link CheckpointReader#verify}.
 */
public final class LocalDirectoryCheckpointStore implements CheckpointStore {

    private static final Logger log = LoggerFactory.getLogger(LocalDirectoryCheckpointStore.class);

    private final Path root;
    private final java.util.Optional<ManifestSigner> signer;

    public LocalDirectoryCheckpointStore(Path root) {
        this(root, java.util.Optional.empty());
    }

    /** With a signer, {@link #put} signs each manifest and {@link #fetch} refuses checkpoints without a valid signature. */
    public LocalDirectoryCheckpointStore(Path root, java.util.Optional<ManifestSigner> signer) {
        this.root = root.toAbsolutePath();
        this.signer = signer;
    }

    /** Writes (or repairs) the signature beside {@code target}. */
    private void sign(Path target, Path modelDir) throws IOException {
        if (signer.isPresent()) {
            byte[] manifest = Files.readAllBytes(target.resolve(dev.prefstream.checkpoint.format.CheckpointLayout.MANIFEST));
            Path sig = modelDir.resolve(target.getFileName() + ManifestSigner.SUFFIX);
            byte[] signature = signer.get().sign(manifest).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            if (!Files.isRegularFile(sig) || !java.util.Arrays.equals(Files.readAllBytes(sig), signature)) {
                DurableFiles.writeAtomically(sig, signature);
            }
        }
    }

    /** The store's root directory. */
    public Path root() {
        return root;
    }

    @Override
    public URI put(VerifiedCheckpoint cp) {
        Path modelDir = root.resolve(segment("model name", cp.manifest().modelName()));
        Path target = modelDir.resolve(segment("version", cp.version()));
        try {
            Files.createDirectories(modelDir);
            if (Files.isDirectory(target)) {
                CheckpointVerification existing = CheckpointReader.verify(target, cp.manifestSha256());
                if (existing.isGood()) {
                    sign(target, modelDir);
                    return target.toUri();
                }
                Path aside = modelDir.resolve(".replaced-" + cp.version() + "-" + System.currentTimeMillis());
                log.warn("Store copy {} does not match the checkpoint being published ({}: {}); moving it aside to {}",
                        target, existing.badFile(), existing.problem(), aside);
                DurableFiles.atomicMove(target, aside);
            }
            Path tmp = modelDir.resolve(".tmp-" + cp.version() + "-" + UUID.randomUUID().toString().substring(0, 8));
            try {
                DurableFiles.copyTree(cp.dir(), tmp);
                CheckpointVerification v = CheckpointReader.verify(tmp, cp.manifestSha256());
                if (!v.isGood()) {
                    throw new CheckpointException("copy of " + cp.dir() + " into the store failed verification: " + v.badFile() + " " + v.problem());
                }
                DurableFiles.fsyncTree(tmp);
                DurableFiles.atomicMove(tmp, target);
                DurableFiles.fsyncDirectory(modelDir);
            } finally {
                DurableFiles.deleteTree(tmp);
            }
            sign(target, modelDir);
            log.info("Stored checkpoint {} at {}", cp.version(), target);
            return target.toUri();
        } catch (IOException e) {
            throw new CheckpointException("cannot store checkpoint " + cp.dir() + " under " + root + ": " + e.getMessage(), e);
        }
    }

    @Override
    public VerifiedCheckpoint fetch(URI uri, String manifestSha256, Path cacheDir) {
        if (!"file".equals(uri.getScheme())) {
            throw new CheckpointException("the local directory store cannot fetch " + uri + " (only file: URIs)");
        }
        Path dir;
        try {
            dir = Path.of(uri);
        } catch (IllegalArgumentException e) {
            throw new CheckpointException("checkpoint URI " + uri + " is not a local directory: " + e.getMessage());
        }
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException("checkpoint " + uri + " does not exist");
        }
        Path real;
        Path realRoot;
        try {
            real = dir.toRealPath();
            realRoot = root.toRealPath();
        } catch (IOException e) {
            throw new CheckpointException("checkpoint " + uri + " cannot be resolved: " + e.getMessage(), e);
        }
        if (!real.startsWith(realRoot) || real.getNameCount() - realRoot.getNameCount() != 2) {
            throw new CheckpointException("checkpoint " + uri + " is outside the store " + root
                    + " (only <store>/<model>/<version> directories are accepted, after resolving .. and symbolic links)");
        }
        VerifiedCheckpoint verified = CheckpointReader.verify(dir.toAbsolutePath().normalize(), manifestSha256).orThrow();
        if (signer.isPresent()) {
            try {
                byte[] manifest = Files.readAllBytes(real.resolve(dev.prefstream.checkpoint.format.CheckpointLayout.MANIFEST));
                if (!verified.manifestSha256().equalsIgnoreCase(dev.prefstream.checkpoint.format.Sha256.of(manifest))) {
                    throw new CheckpointException("checkpoint " + uri + " refused: its manifest changed while it was verified");
                }
                signer.get().verify(manifest, real.getParent().resolve(real.getFileName() + ManifestSigner.SUFFIX), uri.toString());
            } catch (IOException e) {
                throw new CheckpointException("checkpoint " + uri + " refused: manifest unreadable: " + e.getMessage(), e);
            }
        }
        return verified;
    }

    /**
     * {@code name} when it is one plain path segment: not empty, no separator, not {@code .} or {@code ..}, no
     * leading dot (the store's own temporaries), no control characters.
     */
    static String segment(String what, String name) {
        boolean ok = name != null && !name.isEmpty() && name.length() <= 255 && !name.startsWith(".")
                && name.chars().noneMatch(c -> c == '/' || c == '\\' || c == ':' || c < 0x20 || c == 0x7f);
        if (!ok) {
            throw new CheckpointException("refusing " + what + " '" + name + "' as a store path: it must be one plain path segment "
                    + "(no '/', '\\', ':', '..', leading '.', or control characters)");
        }
        return name;
    }
}
