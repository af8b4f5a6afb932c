package dev.prefstream.schemas.registry;

import java.util.List;
import org.apache.avro.Schema;

/**
 * The part of the Confluent Schema Registry REST API that prefstream uses, for Avro schemas.
 *
 * <p>Failures: {@link RegistryUnavailableException} (retriable: unreachable, timed out, 5xx) and
 * {@link RegistryErrorException} (fatal: the registry answered with a 4xx error code such as 40401 subject not
 * found, 40403 schema not found, 409 incompatible, 42201 invalid schema).
 */
public interface SchemaRegistryClient extends AutoCloseable {

    /** Registers {@code schema} under {@code subject} (or finds it there) and returns its global id. */
    int register(String subject, Schema schema);

    /** The schema with global id {@code id}; 40403 when there is none. */
    Schema getById(int id);

    /** The newest version of {@code subject}; 40401 when the subject does not exist. */
    RegisteredSchema latest(String subject);

    /**
     * The version of {@code subject} that is exactly {@code schema}, without registering anything
     * ({@code POST /subjects/{s}}); 40401 subject not found, 40403 schema not found. Used when auto-registration is off.
     */
    RegisteredSchema lookup(String subject, Schema schema);

    /** Whether {@code schema} could be registered under {@code subject} under the subject's compatibility rule. A subject with no versions accepts anything. */
    boolean isCompatible(String subject, Schema schema);

    /** All subjects, in the registry's order. */
    List<String> subjects();

    /** Where this client talks to, for log lines and error messages (the URL list, or {@code mock://scope}). */
    String endpoint();

    /** Releases connections; the default holds none. */
    @Override
    default void close() {
    }
}
