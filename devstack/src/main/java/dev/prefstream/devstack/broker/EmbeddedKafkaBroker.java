package dev.prefstream.devstack.broker;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node Kafka broker running in this JVM in KRaft combined mode (broker and controller in one
 * {@link KafkaRaftServer}). Storage is formatted on first start; later starts reuse the same directory and
 * cluster id (kept in {@code meta.properties}), so records survive restarts, including after kill -9.
 * <p>
 * Internal topics use replication factor 1 (one node), so consumer groups and Kafka Streams exactly_once_v2
 * work. The broker session timeout is lowered so that a restart after a crash is not held up waiting for the
 * previous incarnation's session to expire.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);
    private static final int NODE_ID = 1;
    private static final String CONTROLLER_LISTENER = "CONTROLLER";
    private static final String CLIENT_LISTENER = "PLAINTEXT";

    private final EmbeddedBrokerSettings settings;
    private final KafkaRaftServer server;
    private final String clusterId;
    private volatile boolean closed;

    private EmbeddedKafkaBroker(EmbeddedBrokerSettings settings, KafkaRaftServer server, String clusterId) {
        this.settings = settings;
        this.server = server;
        this.clusterId = clusterId;
    }

    /**
     * Formats storage if needed, starts the broker and waits until it answers a describe-cluster request.
     *
     * @throws EmbeddedBrokerException if formatting or startup fails (for example the port is taken)
     */
    public static EmbeddedKafkaBroker start(EmbeddedBrokerSettings requested) {
        EmbeddedBrokerSettings settings = resolvePorts(requested);
        Path kafkaDir = settings.kafkaDir();
        try {
            Files.createDirectories(kafkaDir);
        } catch (IOException e) {
            throw new EmbeddedBrokerException("cannot create broker data directory " + kafkaDir, e);
        }
        requireUnlocked(kafkaDir);
        KafkaConfig config = KafkaConfig.fromProps(brokerProperties(settings), false);
        String clusterId = formatIfNeeded(config, kafkaDir);
        long started = System.nanoTime();
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            server.startup();
        } catch (RuntimeException e) {
            shutdownQuietly(server);
            throw new EmbeddedBrokerException("embedded Kafka broker failed to start on " + settings.host() + ":" + settings.port()
                    + " (data " + kafkaDir + "): " + e.getMessage(), e);
        }
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(settings, server, clusterId);
        try {
            broker.awaitReady(settings.startTimeout());
        } catch (RuntimeException e) {
            broker.close();
            throw e;
        }
        log.info("Kafka broker up at {} (cluster {}, data {}) in {} ms", broker.bootstrapServers(), clusterId, kafkaDir,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        return broker;
    }

    /** host:port of the client listener. */
    public String bootstrapServers() {
        return settings.host() + ":" + settings.port();
    }

    /** The client listener port (resolved if 0 was requested). */
    public int port() {
        return settings.port();
    }

    /** The KRaft cluster id, stable across restarts on the same data directory. */
    public String clusterId() {
        return clusterId;
    }

    /** The settings the broker runs with, ports resolved. */
    public EmbeddedBrokerSettings settings() {
        return settings;
    }

    /** Client properties to reach this broker (bootstrap.servers only). */
    public Map<String, Object> clientConfig() {
        return Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    }

    /** Shuts the broker down cleanly and waits for it to finish. */
    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }

    /**
     * Shuts the broker down cleanly, waiting at most {@code timeout}; after that the shutdown continues in the
     * background (a JVM exit then acts like a crash, which the next start recovers from).
     */
    public void close(Duration timeout) {
        if (closed) {
            return;
        }
        closed = true;
        Thread stopper = new Thread(() -> shutdownQuietly(server), "embedded-kafka-shutdown");
        stopper.setDaemon(true);
        stopper.start();
        try {
            stopper.join(timeout.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (stopper.isAlive()) {
            log.warn("Kafka broker did not stop within {}; continuing", timeout);
        } else {
            log.info("Kafka broker at {} stopped", bootstrapServers());
        }
    }

    private static void shutdownQuietly(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            log.warn("error while stopping the embedded Kafka broker", e);
        }
    }

    private void awaitReady(Duration timeout) {
        Map<String, Object> config = Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 10_000));
        try (Admin admin = Admin.create(config)) {
            int nodes = admin.describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size();
            if (nodes < 1) {
                throw new EmbeddedBrokerException("embedded broker at " + bootstrapServers() + " reports no live nodes");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EmbeddedBrokerException("interrupted while waiting for the embedded broker", e);
        } catch (Exception e) {
            throw new EmbeddedBrokerException("embedded broker at " + bootstrapServers() + " did not become ready within " + timeout, e);
        }
    }

    static Properties brokerProperties(EmbeddedBrokerSettings settings) {
        String host = settings.host();
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", String.valueOf(NODE_ID));
        // static quorum of one voter: the voter address is configuration, not stored state, so ports may change between runs
        p.put("controller.quorum.voters", NODE_ID + "@" + host + ":" + settings.controllerPort());
        p.put("listeners", CLIENT_LISTENER + "://" + host + ":" + settings.port() + "," + CONTROLLER_LISTENER + "://" + host + ":" + settings.controllerPort());
        p.put("advertised.listeners", CLIENT_LISTENER + "://" + host + ":" + settings.port());
        p.put("listener.security.protocol.map", CLIENT_LISTENER + ":PLAINTEXT," + CONTROLLER_LISTENER + ":PLAINTEXT");
        p.put("controller.listener.names", CONTROLLER_LISTENER);
        p.put("inter.broker.listener.name", CLIENT_LISTENER);
        p.put("log.dirs", settings.kafkaDir().toAbsolutePath().toString());
        p.put("metadata.log.dir", settings.kafkaDir().toAbsolutePath().toString());
        // one node: every internal topic has exactly one replica
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "5");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        p.put("num.partitions", "1");
        // consumers and Streams start working at once instead of waiting 3 s for more members
        p.put("group.initial.rebalance.delay.ms", "0");
        // after kill -9 the restarted broker re-registers within seconds (defaults: 9 s session, 2 s heartbeat)
        p.put("broker.session.timeout.ms", "3000");
        p.put("broker.heartbeat.interval.ms", "500");
        // the log cleaner (compacted topics) allocates this up front; 128 MiB by default is a lot for a laptop demo
        p.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
        settings.overrides().forEach(p::put);
        return p;
    }

    /**
     * Fails in one line when another broker holds the data directory (a second {@code prefstream up} on the same
     * {@code --data}): Kafka finds out only deep in its startup and says so in a long stack trace.
     */
    private static void requireUnlocked(Path kafkaDir) {
        Path lock = kafkaDir.resolve(".lock");
        if (!Files.exists(lock)) {
            return;
        }
        String inUse = "data directory " + kafkaDir.toAbsolutePath().normalize() + " is in use by another Kafka broker "
                + "(another `prefstream up` or demo on the same data directory?); stop it, or use another data directory";
        try (FileChannel channel = FileChannel.open(lock, StandardOpenOption.WRITE)) {
            FileLock held = channel.tryLock();
            if (held == null) {
                throw new EmbeddedBrokerException(inUse);
            }
            held.release();
        } catch (OverlappingFileLockException sameJvm) {
            throw new EmbeddedBrokerException(inUse);
        } catch (IOException e) {
            // cannot tell; Kafka's own lock decides
        }
    }

    /** Formats the data directory on first start; returns the cluster id stored there. */
    private static String formatIfNeeded(KafkaConfig config, Path kafkaDir) {
        Path metaProperties = kafkaDir.resolve("meta.properties");
        if (Files.exists(metaProperties)) {
            return readClusterId(metaProperties);
        }
        String clusterId = Uuid.randomUuid().toString();
        ByteArrayOutputStream formatterOutput = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(formatterOutput, true, StandardCharsets.UTF_8)) {
            new Formatter()
                    .setPrintStream(out)
                    .setNodeId(NODE_ID)
                    .setClusterId(clusterId)
                    .setControllerListenerName(CONTROLLER_LISTENER)
                    .setMetadataLogDirectory(config.metadataLogDir())
                    .addDirectory(kafkaDir.toAbsolutePath().toString())
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setIgnoreFormatted(false)
                    .run();
        } catch (Exception e) {
            throw new EmbeddedBrokerException("formatting Kafka storage in " + kafkaDir + " failed: " + e.getMessage()
                    + " " + formatterOutput.toString(StandardCharsets.UTF_8).trim(), e);
        }
        log.info("formatted Kafka storage in {} (cluster {})", kafkaDir, clusterId);
        return clusterId;
    }

    private static String readClusterId(Path metaProperties) {
        Properties meta = new Properties();
        try (InputStream in = Files.newInputStream(metaProperties)) {
            meta.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + metaProperties, e);
        }
        String clusterId = meta.getProperty("cluster.id");
        if (clusterId == null || clusterId.isBlank()) {
            throw new EmbeddedBrokerException(metaProperties + " has no cluster.id; move the directory away to start afresh");
        }
        return clusterId;
    }

    /** Replaces port 0 by a currently free port: the static controller quorum needs concrete addresses up front. */
    private static EmbeddedBrokerSettings resolvePorts(EmbeddedBrokerSettings s) {
        int port = s.port() == 0 ? freePort(s.host()) : s.port();
        int controllerPort = s.controllerPort();
        while (controllerPort == 0 || controllerPort == port) {
            controllerPort = freePort(s.host());
        }
        return s.withPorts(port, controllerPort);
    }

    private static int freePort(String host) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(host, 0));
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot find a free port on " + host, e);
        }
    }
}
