package dev.prefstream.cli;

import dev.prefstream.devstack.broker.EmbeddedBrokerException;
import dev.prefstream.devstack.broker.EmbeddedBrokerSettings;
import dev.prefstream.devstack.broker.EmbeddedKafkaBroker;
import dev.prefstream.devstack.registry.EmbeddedSchemaRegistry;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.topics.TopicProvisioner;
import org.apache.kafka.clients.admin.Admin;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/**
 * {@code prefstream up}: the embedded default. A real Kafka broker (KRaft, one node) and the schema registry in this
 * process, with prefstream's topics created, until Ctrl-C or SIGTERM.
 */
@Command(name = "up", mixinStandardHelpOptions = true,
        description = "Start a local Kafka broker (localhost:9092) and schema registry (localhost:8081) with prefstream's topics; Ctrl-C stops them.")
final class UpCommand implements Callable<Integer> {

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "./data",
            description = "Data directory; the broker keeps its log under DIR/kafka (default: ${DEFAULT-VALUE}).")
    Path data;

    @Option(names = "--port", paramLabel = "PORT", defaultValue = "9092", description = "Kafka client port (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--controller-port", paramLabel = "PORT", defaultValue = "9093", description = "KRaft controller port (default: ${DEFAULT-VALUE}).")
    int controllerPort;

    @Option(names = "--registry-port", paramLabel = "PORT", defaultValue = "8081", description = "Schema registry HTTP port (default: ${DEFAULT-VALUE}).")
    int registryPort;

    @Option(names = "--registry-bind", paramLabel = "HOST", defaultValue = "localhost",
            description = "Interface the schema registry listens on; 0.0.0.0 opens it to other machines (then also use --registry-auth) (default: ${DEFAULT-VALUE}).")
    String registryBind;

    @Option(names = "--registry-auth", paramLabel = "FILE",
            description = "Require HTTP basic auth on the registry: FILE has one user:role:password per line, role read (GET, lookups) or admin (also register/delete/config).")
    Path registryAuth;

    @Option(names = "--registry-max-body", paramLabel = "BYTES", defaultValue = "16777216",
            description = "Largest registry request body; larger ones are answered 413 (default: ${DEFAULT-VALUE}).")
    long registryMaxBody;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "3",
            description = "Partitions of preference-events and preference-pairs when first created (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Override
    public Integer call() throws InterruptedException {
        requireFree(port, "--port", "Kafka");
        requireFree(controllerPort, "--controller-port", "the KRaft controller");
        requireFree(registryPort, "--registry-port", "the schema registry");
        EmbeddedBrokerSettings settings = EmbeddedBrokerSettings.defaults(data).withPorts(port, controllerPort);
        EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(settings);
        EmbeddedSchemaRegistry registry;
        try {
            try (Admin admin = Admin.create(broker.clientConfig())) {
                new TopicProvisioner(admin, Duration.ofSeconds(30)).ensure(TopicLayout.topics(partitions));
            }
            EmbeddedSchemaRegistry.Options options = EmbeddedSchemaRegistry.Options.defaults().withMaxBodyBytes(registryMaxBody);
            if (registryAuth != null) {
                options = options.withAuth(dev.prefstream.devstack.registry.RegistryAuth.fromFile(registryAuth));
            }
            registry = EmbeddedSchemaRegistry.start(new EmbeddedSchemaRegistry.Settings(Map.copyOf(broker.clientConfig()),
                    registryBind, registryPort, TopicLayout.SCHEMAS, Duration.ofSeconds(30)), options);
        } catch (RuntimeException e) {
            broker.close(Duration.ofSeconds(20));
            throw e;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("prefstream: stopping registry and broker...");
            registry.close();
            broker.close(Duration.ofSeconds(20));
            stopped.countDown();
        }, "prefstream-up-shutdown"));
        System.out.println("prefstream: Kafka at " + broker.bootstrapServers() + ", schema registry at " + registry.url()
                + ", data in " + settings.kafkaDir().toAbsolutePath().normalize() + " (Ctrl-C to stop)");
        stopped.await(); // the JVM exits once the hook has closed both
        return 0;
    }

    /**
     * Fails in one line when a port is taken, before anything starts: Kafka's own failure to bind is a 129-line
     * stack trace ending in "Address already in use", after the broker had begun to start. Usually the port's owner
     * is another {@code prefstream up}, which the user can simply keep using. (A port taken between this check and
     * the bind still fails, the long way.)
     */
    private static void requireFree(int port, String option, String what) {
        if (port == 0) {
            return; // any free port
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress("localhost", port));
        } catch (IOException taken) {
            throw new EmbeddedBrokerException("port " + port + " (" + what + ") on localhost is already in use: another `prefstream up` "
                    + "or a Kafka broker is running there. Use that one (every command's defaults point at it), stop it, or start "
                    + "this one with " + option + " N (and another --data)");
        }
    }
}
