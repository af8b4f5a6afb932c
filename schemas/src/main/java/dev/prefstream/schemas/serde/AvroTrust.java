package dev.prefstream.schemas.serde;

import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.avro.util.ClassSecurityValidator;
import org.apache.avro.util.ClassSecurityValidator.ClassSecurityPredicate;

/**
 * Makes Avro 1.12 trust prefstream's generated classes, once per JVM.
 *
 * <p>Avro 1.12 checks every class it loads by name while reading specific records
 * ({@code ClassUtils.forName -> ClassSecurityValidator.validate}) and throws
 * {@code SecurityException: Forbidden dev.prefstream.schemas.avro.X! This class is not trusted to be included in Avro schemas}
 * for anything outside {@code java.lang}/{@code java.math} and the packages named by the system property
 * {@code org.apache.avro.SERIALIZABLE_PACKAGES}. Avro reads that property exactly once, in the static initializer of
 * {@code ClassSecurityValidator.SystemPropertiesPredicate}, so setting it only works if nothing touched the
 * validator before. We therefore do both: append our package to the property (for code paths, such as a freshly
 * started JVM, that load the validator later) and add a predicate trusting our package to the validator's global
 * instance (for JVMs where the validator was already initialised). Cost: one synchronized call per serde class load.
 */
public final class AvroTrust {

    /** The package of the classes generated from schemas/src/main/avro. */
    public static final String TRUSTED_PACKAGE = "dev.prefstream.schemas.avro";
    /** Avro's system property listing trusted packages (comma-separated). */
    public static final String SERIALIZABLE_PACKAGES_PROPERTY = "org.apache.avro.SERIALIZABLE_PACKAGES";

    private static boolean done;

    private AvroTrust() {
    }

    /** Idempotent; safe to call from any static initializer. */
    public static synchronized void ensureTrusted() {
        if (done) {
            return;
        }
        String existing = System.getProperty(SERIALIZABLE_PACKAGES_PROPERTY);
        boolean listed = existing != null && Arrays.stream(existing.split(",")).map(String::trim)
                .anyMatch(p -> p.equals(TRUSTED_PACKAGE) || p.equals("*"));
        if (!listed) {
            String value = existing == null || existing.isBlank() ? TRUSTED_PACKAGE
                    : Stream.of(existing, TRUSTED_PACKAGE).collect(Collectors.joining(","));
            System.setProperty(SERIALIZABLE_PACKAGES_PROPERTY, value);
        }
        ClassSecurityPredicate current = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(current, AvroTrust::isOurs));
        done = true;
    }

    private static boolean isOurs(Class<?> type) {
        return type.getName().startsWith(TRUSTED_PACKAGE + ".");
    }
}
