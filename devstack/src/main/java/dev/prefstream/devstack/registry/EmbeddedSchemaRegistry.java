package dev.prefstream.devstack.registry;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.registry.CompatibilityLevel;
import dev.prefstream.schemas.topics.TopicProvisioner;
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

    /**
     * How the HTTP side defends itself.
     *
     * @param maxBodyBytes   largest request body; larger ones are answered 413 (default 16 MiB)
     * @param threads        request threads (bounded; default 8)
     * @param requestTimeout a client that has not sent its whole request (or not read the answer) by then is
     *                       disconnected, so idle or slow clients cannot hold the threads (default 30 s; the JDK
     *                       server's setting is process-wide, so the first registry started in a JVM decides it)
     * @param auth           basic authentication with read and admin roles; empty for none (the default, on localhost)
     */
    public record Options(long maxBodyBytes, int threads, Duration requestTimeout, java.util.Optional<RegistryAuth> auth) {
        public static final long DEFAULT_MAX_BODY_BYTES = 16L * 1024 * 1024;

        public Options {
            if (maxBodyBytes < 1024) {
                throw new IllegalArgumentException("maxBodyBytes must be at least 1024, got " + maxBodyBytes);
            }
            if (threads < 1) {
                throw new IllegalArgumentException("threads must be at least 1, got " + threads);
            }
            Objects.requireNonNull(requestTimeout, "requestTimeout");
            Objects.requireNonNull(auth, "auth");
        }

        public static Options defaults() {
            return new Options(DEFAULT_MAX_BODY_BYTES, 8, Duration.ofSeconds(30), java.util.Optional.empty());
        }

        public Options withAuth(RegistryAuth a) {
            return new Options(maxBodyBytes, threads, requestTimeout, java.util.Optional.of(a));
        }

        public Options withMaxBodyBytes(long bytes) {
            return new Options(bytes, threads, requestTimeout, auth);
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
        return start(settings, Options.defaults());
    }

    /** {@link #start(Settings)} with body limit, threads, timeouts and authentication. */
    public static EmbeddedSchemaRegistry start(Settings settings, Options options) {
        // the JDK server's only guard against clients that connect and then send (or read) nothing, or trickle:
        // a request must be read, and an answer taken, within this time, or the connection is closed
        long seconds = Math.max(1, options.requestTimeout().toSeconds());
        System.setProperty("sun.net.httpserver.maxReqTime", System.getProperty("sun.net.httpserver.maxReqTime", Long.toString(seconds)));
        System.setProperty("sun.net.httpserver.maxRspTime", System.getProperty("sun.net.httpserver.maxRspTime", Long.toString(seconds)));
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
            executor = Executors.newFixedThreadPool(options.threads(), runnable -> {
                Thread t = new Thread(runnable, "schema-registry-http");
                t.setDaemon(true);
                return t;
            });
            server.setExecutor(executor);
            server.createContext("/", new RegistryHttpHandler(service, json)).getFilters()
                    .add(new RegistryHttpGuard(options.maxBodyBytes(), options.auth()));
            server.start();
            EmbeddedSchemaRegistry registry = new EmbeddedSchemaRegistry(server, executor, schemaLog, settings.host());
            log.info("schema registry up at {} ({} stored entries, {} subjects, topic {}, basic auth {}, body limit {} bytes)", registry.url(), entries,
                    service.subjects().size(), settings.topic(), options.auth().isPresent() ? "on" : "off", options.maxBodyBytes());
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
