package dev.prefstream.checkpoint.registry;

/**
 * Keys on the compacted model-registry topic. Every verdict is written twice:
 * <ul>
 *   <li>under {@code <model>} (the model name, as consumers of the registry expect): compaction keeps the newest
 *       verdict of each model, whatever its status;</li>
 *   <li>under {@code <model>@<version>}: compaction keeps every version's verdict, so the history that
 *       {@code prefstream registry list} prints and the newest PROMOTED checkpoint (which a later REJECTED verdict
 *       would otherwise replace under the model key) both survive compaction.</li>
 * </ul>
 * Readers take model, version and status from the record value and use keys only to know what compaction keeps.
 */
public final class RegistryKeys {

    private RegistryKeys() {
    }

    /** The model key (newest verdict of the model). */
    public static String model(String modelName) {
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
