package dev.prefstream.schemas.registry;

import dev.prefstream.schemas.serde.AvroSerdeConfig;
import java.util.List;
import org.apache.kafka.common.config.ConfigException;

/** Picks the registry client that {@code schema.registry.url} names: {@code mock://<scope>} in memory, http(s) URLs over HTTP. */
public final class SchemaRegistryClients {

    /** URL prefix of the shared in-memory registries. */
    public static final String MOCK_PREFIX = "mock://";

    private SchemaRegistryClients() {
    }

    /** A client for the configured URL(s); throws {@link ConfigException} when none is configured or mock and http URLs are mixed. */
    public static SchemaRegistryClient forUrl(AvroSerdeConfig config) {
        List<String> urls = config.registryUrls();
        if (urls.isEmpty()) {
            throw new ConfigException(AvroSerdeConfig.SCHEMA_REGISTRY_URL + " is required (http(s)://host:port[,...] or mock://<scope>)");
        }
        boolean mock = urls.stream().anyMatch(u -> u.startsWith(MOCK_PREFIX));
        if (mock) {
            if (urls.size() != 1) {
                throw new ConfigException(AvroSerdeConfig.SCHEMA_REGISTRY_URL, urls, "a mock:// registry cannot be combined with other URLs");
            }
            String scope = urls.get(0).substring(MOCK_PREFIX.length());
            return InMemorySchemaRegistryClient.forScope(scope);
        }
        return new HttpSchemaRegistryClient(config.httpSettings());
    }
}
