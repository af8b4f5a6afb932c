package dev.prefstream.publisher;

/**
 * Keys on the compacted model-registry topic. Two kinds, so that compaction keeps what each reader needs:
 * <ul>
 *   <li>{@code <model>}: the latest PROMOTED checkpoint of the model (what serving follows; compaction keeps the
 *       newest one, so a follower starting late still finds it);</li>
 *   <li>{@code <model>@<version>}: every checkpoint's record, CANDIDATE/PROMOTED/REJECTED (the history that
 *       {@code prefstream registry list} prints; one record per version survives compaction).</li>
 * </ul>
 */
public final class RegistryKeys {

    private RegistryKeys() {
    }

    /** The key of the model's latest promoted checkpoint. */
    public static String latest(String modelName) {
        return modelName;
    }

    /** The key of one version's record. */
    public static String version(String modelName, String version) {
        return modelName + "@" + version;
    }

    /** True for per-version keys. */
    public static boolean isVersionKey(String key) {
        return key != null && key.contains("@");
    }
}
