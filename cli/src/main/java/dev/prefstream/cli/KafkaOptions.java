package dev.prefstream.cli;

import dev.prefstream.trainer.settings.SettingsException;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.topics.TopicProvisioner;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Options every command that talks to Kafka shares (use with {@code @Mixin KafkaOptions kafka;}): where the
 * brokers and the schema registry are, plus a properties file for anything else a Kafka client needs.
 */
public final class KafkaOptions {

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT", defaultValue = "${env:PREFSTREAM_BOOTSTRAP:-localhost:9092}",
            description = "Kafka bootstrap servers (default: $PREFSTREAM_BOOTSTRAP or localhost:9092; now ${DEFAULT-VALUE}).")
    String bootstrap;

    @Option(names = "--registry", paramLabel = "URL", defaultValue = "${env:PREFSTREAM_REGISTRY:-http://localhost:8081}",
            description = "Schema registry URL (Confluent REST API; default: $PREFSTREAM_REGISTRY or http://localhost:8081; now ${DEFAULT-VALUE}).")
    String registry;

    @Option(names = "--config", paramLabel = "FILE", defaultValue = "${env:PREFSTREAM_CONFIG}",
            description = "Properties file: Kafka client properties (security.protocol, sasl.*, ssl.*, ...), applied to every client, "
                    + "plus prefstream's settings: ingest.*, prefstream.trainer.*, prefstream.dpo.*, prefstream.publisher.* (README: Configuration reference).")
    Path config;

    public String bootstrap() {
        return bootstrap;
    }

    public String registry() {
        return registry;
    }

    /**
     * Client config: the {@code --config} file's properties, then {@code bootstrap.servers} and
     * {@code schema.registry.url} from the options (the options win).
     *
     * @throws IllegalArgumentException if the file cannot be read
     */
    public Map<String, Object> clientConfig() {
        Map<String, Object> result = new HashMap<>();
        extraProperties().forEach((k, v) -> result.put(k.toString(), v));
        result.put("bootstrap.servers", bootstrap);
        result.put("schema.registry.url", registry);
        return result;
    }

    /** The same as {@link #clientConfig()} as {@link Properties} (Kafka Streams takes either). */
    public Properties clientProperties() {
        Properties properties = new Properties();
        properties.putAll(clientConfig());
        return properties;
    }

    /**
     * Creates any missing prefstream topic ({@link TopicLayout#topics}) on the cluster, so that services started on
     * a bare cluster (compose.yaml) find their topics; existing topics are left as they are. Only Kafka client
     * settings reach the admin client ({@code schema.registry.url} and {@code prefstream.*} keys are left out).
     *
     * Checks that the broker answers first ({@link #requireBroker}), so a missing broker fails in seconds with one line.
     *
     * @return the topics it created
     */
    public List<String> provisionTopics() {
        requireBroker();
        try (Admin admin = Admin.create(adminConfig())) {
            return new TopicProvisioner(admin, Duration.ofSeconds(30)).ensure(TopicLayout.topics(TopicLayout.DEFAULT_DATA_PARTITIONS));
        }
    }

    /**
     * Fails within seconds, with one line naming the address and {@code prefstream up}, when the broker or the schema
     * registry does not answer ({@link Reachability}). Every command with these options calls it (or
     * {@link #provisionTopics}, which does) after validating its own arguments and before its first Kafka client.
     *
     * @return the Kafka cluster id
     */
    public String requireReachable() {
        String id = requireBroker();
        if (!registryChecked) {
            new Reachability(Reachability.DEFAULT_TIMEOUT).check(adminConfig(), registry);
            registryChecked = true;
        }
        return id;
    }

    /** The broker half of {@link #requireReachable} (for work that needs no schema registry); returns the cluster id. */
    public String requireBroker() {
        if (clusterId == null) {
            clusterId = new Reachability(Reachability.DEFAULT_TIMEOUT).checkBroker(adminConfig());
        }
        return clusterId;
    }

    private boolean registryChecked;

    /** The cluster id found by {@link #requireReachable} (checked once per command). */
    private String clusterId;

    /** The Kafka client settings alone: without schema.registry.*, ingest.* and prefstream.* keys, which admin clients warn about. */
    Map<String, Object> adminConfig() {
        Map<String, Object> adminConfig = new HashMap<>();
        clientConfig().forEach((k, v) -> {
            if (!k.startsWith("prefstream.") && !k.startsWith("schema.registry.") && !k.startsWith("ingest.")
                    && !k.startsWith("basic.auth.") && !k.startsWith("http.")) {
                adminConfig.put(k, v);
            }
        });
        return adminConfig;
    }

    private Properties extraProperties() {
        Properties properties = new Properties();
        if (config == null) {
            return properties;
        }
        if (!Files.isReadable(config)) {
            throw new IllegalArgumentException("--config " + config + ": no such readable file");
        }
        try (InputStream in = Files.newInputStream(config)) {
            properties.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("--config " + config + ": " + e.getMessage(), e);
        }
        // a misspelt key or section (prefstream.trainr.*) would silently leave a setting at its default: refused here,
        // before anything connects, naming the nearest known key
        try {
            PrefstreamSettings.REGISTRY.check(properties.stringPropertyNames());
        } catch (SettingsException e) {
            throw new IllegalArgumentException("--config " + config + ": " + e.getMessage(), e);
        }
        Set<String> unknown = UnknownClientKeys.in(properties.stringPropertyNames());
        if (!unknown.isEmpty() && warnedAbout.add(config)) {
            System.err.println("prefstream: warning: --config " + config + ": no Kafka client, Kafka Streams or serde setting is called "
                    + String.join(", ", unknown.stream().map(k -> "'" + k + "'").toList()) + " (misspelt? it is ignored)");
        }
        return properties;
    }

    /**
     * Runs a reader of the --config file's prefstream settings, adding the file's name to what it refuses
     * ("unknown DPO setting 'prefstream.dpo.betta'" did not say in which file).
     */
    public <T> T fromConfigFile(java.util.function.Supplier<T> reader) {
        try {
            return reader.get();
        } catch (IllegalArgumentException | SettingsException e) {
            if (config == null) {
                throw e;
            }
            throw new IllegalArgumentException("--config " + config + ": " + e.getMessage(), e);
        }
    }

    /** Config files already warned about (clientConfig() is read several times per command). */
    private final Set<Path> warnedAbout = new java.util.HashSet<>();
}
