package dev.prefstream.checkpoint.format;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Names inside a checkpoints root. The root holds one directory per checkpoint named {@code step-<N>} (zero padded
 * so that names sort like steps), a {@code LATEST} file naming the newest one, and transient dot-directories
 * ({@code .tmp-*} being written, {@code .trash-*} being deleted) that readers ignore.
 */
public final class CheckpointLayout {

    /** The manifest file inside every checkpoint directory. */
    public static final String MANIFEST = "manifest.json";
    /** Pointer file in the root naming the newest checkpoint directory. */
    public static final String LATEST = "LATEST";
    /** Per-pair training log: the pairs trained since the parent checkpoint, one JSON object per line. */
    public static final String TRAINING_LOG = "trained-pairs.jsonl";
    /** Sub-directory holding optimizer and trainer state (not needed by serving). */
    public static final String TRAINER_STATE_DIR = "trainer-state";

    static final String TEMP_PREFIX = ".tmp-";
    static final String TRASH_PREFIX = ".trash-";
    static final String QUARANTINE_PREFIX = ".refused-";

    private static final Pattern VERSION = Pattern.compile("step-(\\d{10})");

    private CheckpointLayout() {
    }

    /** The version (and directory name) of the checkpoint taken after {@code step} optimizer steps. */
    public static String versionFor(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be >= 0, got " + step);
        }
        return String.format("step-%010d", step);
    }

    /** The step encoded in a checkpoint directory name, empty for anything else (temp dirs, LATEST, stray files). */
    public static Optional<Long> stepOf(String directoryName) {
        Matcher m = VERSION.matcher(directoryName);
        return m.matches() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
    }

    /** True for the names of finished checkpoint directories. */
    public static boolean isCheckpointName(String name) {
        return VERSION.matcher(name).matches();
    }

    /** The directory of {@code version} under {@code root}. */
    public static Path dirOf(Path root, String version) {
        return root.resolve(version);
    }
}
