package dev.prefstream.schemas.registry.server;

import dev.prefstream.schemas.registry.CompatibilityLevel;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.embedded.TopicProvisioner;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A Confluent-REST-compatible Avro schema registry served by the JDK HTTP server and stored in the compacted
 * {@code _schemas} topic, so schemas and ids survive restarts of the process. On start it creates the topic if
 * needed and reads it to the end before answering. It is the embedded default for a laptop, not a production
 * registry (one instance, no leader election): production points the same serde at Confluent Schema Registry.
 */
public final class EmbeddedSchemaRegistry implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedSchemaRegistry.class);

    /**
     * @param kafkaClientConfig client properties reaching the broker (at least bootstrap.servers; security settings too)
     * @param host              interface the HTTP server binds to
     * @param port              HTTP port; 0 picks a free one
     * @param topic             storage topic (compacted, one partition)
     * @param timeout           Kafka operation timeout (start-up read, each write)
     */
    public record Settings(Map<String, Object> kafkaClientConfig, String host, int port, String topic, Duration timeout) {
        /** Default HTTP port, Confluent's. */
        public static final int DEFAULT_PORT = 8081;

        public Settings {
            kafkaClientConfig = Map.copyOf(kafkaClientConfig);
            if (!kafkaClientConfig.containsKey(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG)) {
                throw new IllegalArgumentException("kafkaClientConfig needs bootstrap.servers");
            }
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(topic, "topic");
            Objects.requireNonNull(timeout, "timeout");
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in 0..65535, got " + port);
            }
        }

        /** localhost:{@code port}, storing in {@code _schemas} on the given cluster. */
        public static Settings of(String bootstrapServers, int port) {
            return new Settings(Map.of(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers), "localhost", port,
                    TopicLayout.SCHEMAS, Duration.ofSeconds(30));
        }
    }

    private final HttpServer server;
    private final ExecutorService executor;
    private final SchemaLog schemaLog;
    private final String url;

    private EmbeddedSchemaRegistry(HttpServer server, ExecutorService executor, SchemaLog schemaLog, String host) {
        this.server = server;
        this.executor = executor;
        this.schemaLog = schemaLog;
        this.url = "http://" + host + ":" + server.getAddress().getPort();
    }

    /**
     * Ensures the storage topic exists, replays it and starts serving HTTP.
     *
     * @throws RegistryStartException if the broker is unreachable, the topic cannot be read or the port is taken
     */
    public static EmbeddedSchemaRegistry start(Settings settings) {
        ObjectMapper json = new ObjectMapper();
        try (Admin admin = Admin.create(settings.kafkaClientConfig())) {
            TopicLayout.TopicSpec spec = TopicLayout.topics(1).stream().filter(t -> t.name().equals(TopicLayout.SCHEMAS)).findFirst()
                    .map(t -> new TopicLayout.TopicSpec(settings.topic(), 1, t.configs())).orElseThrow();
            new TopicProvisioner(admin, settings.timeout()).ensure(List.of(spec));
        } catch (RuntimeException e) {
            throw new RegistryStartException("schema registry cannot prepare topic " + settings.topic() + " on "
                    + settings.kafkaClientConfig().get(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG) + ": " + e.getMessage(), e);
        }
        SchemaLog schemaLog = new SchemaLog(settings.topic(), settings.kafkaClientConfig(), settings.timeout(), json);
        HttpServer server = null;
        ExecutorService executor = null;
        try {
            RegistryState state = new RegistryState(CompatibilityLevel.BACKWARD);
            int entries = schemaLog.replay(state::apply);
            RegistryService service = new RegistryService(state, schemaLog);
            server = HttpServer.create(new InetSocketAddress(settings.host(), settings.port()), 64);
            executor = Executors.newFixedThreadPool(4, runnable -> {
                Thread t = new Thread(runnable, "schema-registry-http");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(executor);
            server.createContext("/", new RegistryHttpHandler(service, json));
            server.start();
            EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(server, executor, schemaLog, settings.host());
            log.info("schema registry up at {} ({} stored entries, {} subjects, topic {})", registry.url(), entries,
                    service.subjects().size(), settings.topic());
            return registry;
        } catch (IOException e) {
            cleanup(server, executor, schemaLog);
            throw new RegistryStartException("schema registry cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            cleanup(server, executor, schemaLog);
            throw new RegistryStartException("schema registry failed to start: " + e.getMessage(), e);
        }
    }

    private static void cleanup(HttpServer server, ExecutorService executor, SchemaLog schemaLog) {
        if (server != null) {
            server.stop(0);
        }
        if (executor != null) {
            executor.shutdownNow();
        }
        schemaLog.close();
    }

    /** Base URL, e.g. http://localhost:8081 — the value for the serde's {@code schema.registry.url}. */
    public String url() {
        return url;
    }

    /** The HTTP port (resolved if 0 was requested). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Config for the serde: {@code schema.registry.url} pointing here. */
    public Map<String, Object> serdeConfig() {
        Map<String, Object> config = new HashMap<>();
        config.put("schema.registry.url", url);
        return config;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        schemaLog.close();
        log.info("schema registry at {} stopped", url);
    }

    /** The registry could not start. Fatal for the process that embeds it. */
    public static final class RegistryStartException extends RuntimeException {
        public RegistryStartException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
