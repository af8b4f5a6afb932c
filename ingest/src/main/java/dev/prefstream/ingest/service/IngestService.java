package dev.prefstream.ingest.service;

import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.metrics.IngestCounters;
import dev.prefstream.ingest.topology.IngestTopology;
import org.apache.kafka.streams.CloseOptions;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Runs the ingest topology as a Kafka Streams application (exactly-once v2, the dead-letter handlers) and logs its
 * counters every {@code ingest.metrics.log-interval}. A stream thread that dies of an unexpected error is replaced
 * (its task restarts from the last committed offsets, so nothing is lost or emitted twice).
 */
public final class IngestService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(IngestService.class);

    private final IngestConfig config;
    private final KafkaStreams streams;
    private final ScheduledExecutorService reporter;
    private final CountDownLatch stopped = new CountDownLatch(1);

    public IngestService(IngestConfig config) {
        this.config = config;
        this.streams = new KafkaStreams(IngestTopology.build(config), IngestTopology.streamsProperties(config));
        this.streams.setUncaughtExceptionHandler(e -> {
            log.error("stream thread failed; replacing it (processing resumes from the last commit)", e);
            return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
        });
        this.streams.setStateListener((now, before) -> {
            log.info("ingest state {} -> {}", before, now);
            if (now == KafkaStreams.State.NOT_RUNNING || now == KafkaStreams.State.ERROR) {
                stopped.countDown();
            }
        });
        this.reporter = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ingest-metrics-log");
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts processing (returns at once; the Streams threads do the work). */
    public void start() {
        log.info("starting ingest {} -> {} (dlq {}), application.id={}, bootstrap={}, registry={}, state in {}",
                config.inputTopic(), config.outputTopic(), config.dlqTopic(), config.applicationId(),
                config.clientProperties().get(IngestConfig.BOOTSTRAP_SERVERS),
                dev.prefstream.schemas.security.Redaction.text(config.registryUrl()), config.stateDirectory());
        streams.start();
        long every = config.metricsLogInterval().toMillis();
        reporter.scheduleAtFixedRate(this::logCounters, every, every, TimeUnit.MILLISECONDS);
    }

    /** The Streams state. */
    public KafkaStreams.State state() {
        return streams.state();
    }

    /** The ingest counters now, summed over threads. */
    public IngestCounters counters() {
        return IngestCounters.of(streams.metrics());
    }

    /**
     * Exports metrics to a Micrometer registry (e.g. the Prometheus one {@code prefstream ingest} serves): every Kafka
     * Streams client metric, and prefstream's ingest counters as {@code prefstream.ingest.<name>} counters with their
     * tags (events-in{kind}, pairs-out{kind}, dropped{kind,reason}, duplicates, conflicts, dlq{reason}, ...). The
     * counters are created by the processors once tasks start, and new tag values appear as data arrives, so they
     * are registered as they show up, checked every {@link #COUNTER_REGISTRATION_PERIOD}.
     */
    public void bindTo(MeterRegistry registry) {
        new KafkaStreamsMetrics(streams).bindTo(registry);
        reporter.scheduleAtFixedRate(() -> registerNewCounters(registry), 0, COUNTER_REGISTRATION_PERIOD.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** How often {@link #bindTo} looks for counters that appeared since. */
    static final Duration COUNTER_REGISTRATION_PERIOD = Duration.ofSeconds(2);

    private final java.util.Set<String> exported = java.util.concurrent.ConcurrentHashMap.newKeySet();

    private void registerNewCounters(MeterRegistry registry) {
        try {
            for (String key : counters().totals().keySet()) {
                if (!exported.add(key)) {
                    continue;
                }
                int brace = key.indexOf('{');
                String name = brace < 0 ? key : key.substring(0, brace);
                java.util.List<Tag> tags = new java.util.ArrayList<>();
                if (brace >= 0) {
                    for (String kv : key.substring(brace + 1, key.length() - 1).split(",")) {
                        int eq = kv.indexOf('=');
                        tags.add(Tag.of(kv.substring(0, eq), kv.substring(eq + 1)));
                    }
                }
                FunctionCounter.builder("prefstream.ingest." + name.replace('-', '.'), this, s -> s.counters().get(key))
                        .tags(tags).register(registry);
            }
        } catch (RuntimeException e) {
            log.warn("could not export ingest counters to metrics: {}", e.toString());
        }
    }

    /** Blocks until the app has stopped (closed, or failed for good). */
    public void awaitStopped() throws InterruptedException {
        stopped.await();
    }

    /** Set by the first close: a second one (shutdown hook, then try-with-resources) does nothing and logs nothing. */
    private final java.util.concurrent.atomic.AtomicBoolean closing = new java.util.concurrent.atomic.AtomicBoolean();

    private void logCounters() {
        try {
            log.info("ingest counters: {}", counters().summary());
        } catch (RuntimeException e) {
            log.warn("cannot read ingest counters", e);
        }
    }

    /** Stops processing, committing what was processed, within {@code timeout}; true if it stopped in time. */
    public boolean close(Duration timeout) {
        if (!closing.compareAndSet(false, true)) {
            return streams.state() == KafkaStreams.State.NOT_RUNNING; // closed already (shutdown hook and try-with-resources both call this)
        }
        reporter.shutdownNow();
        // leave the group: a restarted instance then gets its tasks at once instead of after the session timeout
        boolean clean = streams.close(CloseOptions.timeout(timeout).withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        logCounters();
        log.info("ingest stopped {}", clean ? "cleanly" : "before finishing (timeout " + timeout + ")");
        stopped.countDown();
        return clean;
    }

    @Override
    public void close() {
        close(Duration.ofSeconds(30));
    }
}
