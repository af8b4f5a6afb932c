package dev.prefstream.cli;

import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.service.IngestService;
import dev.prefstream.trainer.stream.PrometheusEndpoint;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

/**
 * {@code prefstream ingest}: runs the ingest Kafka Streams app (preference-events -> preference-pairs, bad input to
 * preference-events-dlq) until SIGTERM or Ctrl-C, then closes it cleanly (committing what it processed).
 */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = {"Validate, binarize and deduplicate preference events into pairs (Kafka Streams, exactly-once).",
                "The --config file may hold Kafka/Streams client properties (security, SASL, TLS, num.stream.threads, state.dir, ...)"
                        + " and the ingest.* keys (see README: ingest strategies, limits, retention)."})
final class IngestCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafka;

    @Option(names = "--shutdown-timeout", paramLabel = "DURATION", defaultValue = "PT30S",
            description = "How long a clean shutdown may take (default: ${DEFAULT-VALUE}).")
    Duration shutdownTimeout;

    @Option(names = "--metrics-port", paramLabel = "PORT", defaultValue = "9465",
            description = "Serve Prometheus metrics (ingest counters and every Kafka Streams metric) at http://host:PORT/metrics;"
                    + " -1 to disable (default: ${DEFAULT-VALUE}).")
    int metricsPort;

    @Option(names = "--metrics-bind", paramLabel = "HOST", defaultValue = "localhost",
            description = "Interface the metrics endpoint listens on; 0.0.0.0 opens it to other machines (default: ${DEFAULT-VALUE}).")
    String metricsBind;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "./data",
            description = "Data directory: Kafka Streams state goes to DIR/streams/CLUSTER_ID unless --config sets state.dir (default: ${DEFAULT-VALUE}).")
    Path data;

    @Override
    public Integer call() throws InterruptedException {
        IngestConfig config = config(kafka.requireReachable());
        kafka.provisionTopics(); // a bare cluster gets prefstream's topics (idempotent)
        System.err.println("prefstream ingest: Kafka Streams state in " + config.stateDirectory());
        IngestService service = new IngestService(config);
        PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        service.bindTo(prometheus);
        PrometheusEndpoint endpoint = metricsPort >= 0 ? new PrometheusEndpoint(prometheus, metricsBind, metricsPort) : null;
        Thread hook = new Thread(() -> {
            service.close(shutdownTimeout);
            if (endpoint != null) {
                endpoint.close();
            }
        }, "ingest-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        service.start();
        service.awaitStopped();
        return service.state() == org.apache.kafka.streams.KafkaStreams.State.ERROR ? 1 : 0;
    }

    /** The ingest configuration of this command on cluster {@code clusterId}: --config, then the state directory default. */
    IngestConfig config(String clusterId) {
        return IngestConfig.from(kafka.clientConfig()).withDefaultStateDir(data, clusterId);
    }
}
