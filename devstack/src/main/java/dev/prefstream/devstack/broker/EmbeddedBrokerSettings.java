package dev.prefstream.devstack.broker;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How to run the embedded single-node broker.
 *
 * @param dataDir        root data directory; the broker keeps its log and metadata under {@code dataDir/kafka}
 * @param host           host name the listeners bind to and advertise (localhost: the embedded default is local only)
 * @param port           client listener port; 0 picks a free port (tests)
 * @param controllerPort KRaft controller listener port; 0 picks a free port
 * @param startTimeout   how long to wait for the broker to accept requests after start
 * @param overrides      extra broker properties, applied last (e.g. "num.partitions")
 */
public record EmbeddedBrokerSettings(Path dataDir, String host, int port, int controllerPort, Duration startTimeout,
                                     Map<String, String> overrides) {

    /** Default client port of the embedded broker. */
    public static final int DEFAULT_PORT = 9092;
    /** Default controller port; only the broker itself talks to it. */
    public static final int DEFAULT_CONTROLLER_PORT = 9093;

    public EmbeddedBrokerSettings {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(startTimeout, "startTimeout");
        if (port < 0 || port > 65535 || controllerPort < 0 || controllerPort > 65535) {
            throw new IllegalArgumentException("ports must be in 0..65535, got port=" + port + " controllerPort=" + controllerPort);
        }
        if (port != 0 && port == controllerPort) {
            throw new IllegalArgumentException("port and controllerPort must differ, both are " + port);
        }
        overrides = Map.copyOf(overrides);
    }

    /** The embedded default: localhost:9092 (controller on 9093), data under {@code dataDir/kafka}. */
    public static EmbeddedBrokerSettings defaults(Path dataDir) {
        return new EmbeddedBrokerSettings(dataDir, "localhost", DEFAULT_PORT, DEFAULT_CONTROLLER_PORT, Duration.ofSeconds(60), Map.of());
    }

    /** Free ports for both listeners: for tests that must not collide with a running {@code prefstream up}. */
    public static EmbeddedBrokerSettings onFreePorts(Path dataDir) {
        return new EmbeddedBrokerSettings(dataDir, "localhost", 0, 0, Duration.ofSeconds(60), Map.of());
    }

    /** The same settings with other ports. */
    public EmbeddedBrokerSettings withPorts(int newPort, int newControllerPort) {
        return new EmbeddedBrokerSettings(dataDir, host, newPort, newControllerPort, startTimeout, overrides);
    }

    /** Directory holding the broker's log segments, metadata log and meta.properties. */
    public Path kafkaDir() {
        return dataDir.resolve("kafka");
    }
}
