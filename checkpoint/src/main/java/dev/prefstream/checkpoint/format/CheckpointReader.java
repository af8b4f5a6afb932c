package dev.prefstream.checkpoint.format;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Finds and verifies checkpoints under a checkpoints root. A checkpoint is only ever used after every file was
 * hashed and matched its manifest: a half-written one cannot appear (writers rename complete, fsynced directories
 * into place and readers ignore dot-directories), and a damaged or tampered one is refused with a WARN line that
 * names the directory and the file, after which the next older good one is used.
 */
public final class CheckpointReader {

    private static final Logger log = LoggerFactory.getLogger(CheckpointReader.class);

    private CheckpointReader() {
    }

    /**
     * The newest checkpoint under {@code root} that verifies, falling back to older ones; empty when there is none
     * (or the root does not exist). Cost: hashes every file of each candidate it checks (the newest, usually).
     */
    public static Optional<VerifiedCheckpoint> newestGood(Path root) {
        List<Path> candidates = checkpointDirs(root);
        for (int i = 0; i < candidates.size(); i++) {
            CheckpointVerification v = verify(candidates.get(i));
            if (v.isGood()) {
                if (i > 0) {
                    log.warn("Using checkpoint {} after refusing {} newer one(s) under {}", v.checkpoint().dir(), i, root);
                }
                return v.good();
            }
            String fallback = i + 1 < candidates.size() ? candidates.get(i + 1).getFileName().toString() : "none (starting from the initial model)";
            log.warn("Refusing checkpoint {}: file '{}' {}; falling back to {}", v.dir(), v.badFile(), v.problem(), fallback);
        }
        return Optional.empty();
    }

    /** Finished checkpoint directories under {@code root}, newest (highest step) first; temp/trash dirs excluded. */
    public static List<Path> checkpointDirs(Path root) {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(Files::isDirectory)
                    .filter(p -> CheckpointLayout.isCheckpointName(p.getFileName().toString()))
                    .sorted(Comparator.comparing((Path p) -> p.getFileName().toString()).reversed())
                    .toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list checkpoints root " + root, e);
        }
    }

    /** The version the root's LATEST pointer names, if any (informational: readers still verify). */
    public static Optional<String> latestPointer(Path root) {
        try {
            String s = Files.readString(root.resolve(CheckpointLayout.LATEST), StandardCharsets.UTF_8).trim();
            return s.isEmpty() ? Optional.empty() : Optional.of(s);
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + root.resolve(CheckpointLayout.LATEST), e);
        }
    }

    /** A checkpoint by version, verified; a {@link CheckpointException} when missing or refused. */
    public static VerifiedCheckpoint byVersion(Path root, String version) {
        Path dir = CheckpointLayout.dirOf(root, version);
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException("no checkpoint " + version + " under " + root);
        }
        return verify(dir).orThrow();
    }

    /** Verifies one directory against its own manifest. */
    public static CheckpointVerification verify(Path dir) {
        return verify(dir, null);
    }

    /**
     * Verifies one directory against its own manifest and, when {@code expectedManifestSha256} is given, checks
     * that the manifest is the announced one (so a registry record pins the exact content).
     */
    public static CheckpointVerification verify(Path dir, String expectedManifestSha256) {
        try {
            Optional<String> link = Files.isDirectory(dir) ? firstSymbolicLink(dir) : Optional.empty();
            if (link.isPresent()) {
                // a link could make a verified checkpoint read (and hash, and load) any file the reader may read
                return CheckpointVerification.bad(dir, link.get(), "is a symbolic link (refused: a checkpoint's files must be its own)");
            }
        } catch (IOException | UncheckedIOException e) {
            return CheckpointVerification.bad(dir, null, "cannot be listed: " + e.getMessage());
        }
        byte[] manifestBytes;
        try {
            manifestBytes = Files.readAllBytes(dir.resolve(CheckpointLayout.MANIFEST));
        } catch (NoSuchFileException e) {
            return CheckpointVerification.bad(dir, CheckpointLayout.MANIFEST, "is missing");
        } catch (IOException e) {
            return CheckpointVerification.bad(dir, CheckpointLayout.MANIFEST, "cannot be read: " + e.getMessage());
        }
        String manifestSha = Sha256.of(manifestBytes);
        if (expectedManifestSha256 != null && !expectedManifestSha256.equalsIgnoreCase(manifestSha)) {
            return CheckpointVerification.bad(dir, CheckpointLayout.MANIFEST,
                    "has sha256 " + manifestSha + " but " + expectedManifestSha256 + " was announced");
        }
        CheckpointManifest manifest;
        try {
            manifest = CheckpointManifest.fromJsonBytes(manifestBytes, dir.resolve(CheckpointLayout.MANIFEST).toString());
        } catch (CheckpointException e) {
            return CheckpointVerification.bad(dir, CheckpointLayout.MANIFEST, "is invalid: " + e.getMessage());
        }
        if (!manifest.version().equals(dir.getFileName().toString()) && CheckpointLayout.isCheckpointName(dir.getFileName().toString())) {
            return CheckpointVerification.bad(dir, CheckpointLayout.MANIFEST,
                    "names version " + manifest.version() + " but lies in directory " + dir.getFileName());
        }
        TreeSet<String> present;
        try {
            present = listFiles(dir);
        } catch (IOException e) {
            return CheckpointVerification.bad(dir, null, "cannot be listed: " + e.getMessage());
        }
        present.remove(CheckpointLayout.MANIFEST);
        for (Map.Entry<String, String> f : manifest.files().entrySet()) {
            Path file = dir.resolve(f.getKey());
            if (!present.remove(f.getKey())) {
                return CheckpointVerification.bad(dir, f.getKey(), "is listed in the manifest but missing");
            }
            String actual;
            try {
                actual = Sha256.ofFile(file);
            } catch (IOException e) {
                return CheckpointVerification.bad(dir, f.getKey(), "cannot be read: " + e.getMessage());
            }
            if (!actual.equalsIgnoreCase(f.getValue())) {
                return CheckpointVerification.bad(dir, f.getKey(), "has sha256 " + actual + " but the manifest says " + f.getValue());
            }
        }
        if (!present.isEmpty()) {
            return CheckpointVerification.bad(dir, present.first(), "is not listed in the manifest (unexpected file)");
        }
        return CheckpointVerification.ok(new VerifiedCheckpoint(dir, manifest, manifestSha));
    }

    /** The first symbolic link below {@code dir} (manifest included), as a '/'-separated relative path. */
    static Optional<String> firstSymbolicLink(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir) && Files.isSymbolicLink(p)).sorted().findFirst()
                    .map(p -> dir.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/"));
        }
    }

    /** Every regular file below {@code dir} as a '/'-separated relative path. */
    static TreeSet<String> listFiles(Path dir) throws IOException {
        TreeSet<String> out = new TreeSet<>();
        try (Stream<Path> s = Files.walk(dir)) {
            List<Path> files = new ArrayList<>(s.filter(Files::isRegularFile).toList());
            for (Path f : files) {
                out.add(dir.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/"));
            }
        }
        return out;
    }
}
