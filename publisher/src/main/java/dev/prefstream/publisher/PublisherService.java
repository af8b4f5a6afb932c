package dev.prefstream.publisher;

import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.CheckpointVerification;
import dev.prefstream.checkpoint.registry.RegistryKeys;
import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.error.RetriableException;
import dev.prefstream.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code prefstream publish}: the publisher as its own service. It consumes CANDIDATE records from the candidates
 * topic (group {@code prefstream-publisher}), verifies each announced checkpoint against its manifest hash, and hands
 * it to a {@link CheckpointPublisher} (evaluate, gate, store, model-registry). A candidate whose files are missing
 * or do not verify is announced as REJECTED with the reason. Offsets are committed after each candidate, so a
 * restart re-evaluates at most the candidate in flight (publishing is idempotent per version: same store path, same
 * registry key).
 *
 * <p>Design choice: by default the trainer publishes in process (one box, no extra hop). Deployments where the
 * trainer must not write to the store or the registry run the trainer with {@link CandidateAnnouncer} and this
 * service next to the store; the candidates topic decouples their lifecycles, and the trainer never waits for an
 * evaluation.
 */
public final class PublisherService implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(PublisherService.class);

    private final Map<String, Object> kafka;
    private final String candidatesTopic;
    private final Optional<String> modelName;
    private final CheckpointPublisher publisher;
    private final RegistryPublisher rejections;
    private volatile boolean stopping;
    private volatile KafkaConsumer<String, byte[]> consumer;
    /**
     * Candidates decided by this run ({@code model@version}): a trainer announces each candidate under two keys
     * (model and model@version, as on the registry), and the second record must not evaluate and announce the same
     * checkpoint again (it would also be gated against its own first verdict). Bounded; oldest forgotten first.
     */
    private final Set<String> decided = Collections.newSetFromMap(new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > 10_000;
        }
    });

    /**
     * @param kafka           client settings incl. schema.registry.url
     * @param candidatesTopic where trainers announce candidates
     * @param modelName       only this model's candidates (empty: all; other models' records are skipped)
     * @param publisher       evaluates, gates, stores and announces
     * @param registry        producer for REJECTED records of candidates that cannot even be verified
     */
    public PublisherService(Map<String, Object> kafka, String candidatesTopic, Optional<String> modelName, CheckpointPublisher publisher,
                            RegistryPublisher registry) {
        this.kafka = Map.copyOf(kafka);
        this.candidatesTopic = candidatesTopic;
        this.modelName = modelName;
        this.publisher = publisher;
        this.rejections = registry;
        CandidateTopic.ensure(kafka, candidatesTopic);
    }

    /** Runs until {@link #stop()}. */
    public void run() {
        Map<String, Object> c = new HashMap<>(kafka);
        c.remove("schema.registry.url");
        c.put(ConsumerConfig.GROUP_ID_CONFIG, "prefstream-publisher" + modelName.map(m -> "." + m).orElse(""));
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        // an evaluation can take minutes on CPU; it happens between polls
        c.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int) Duration.ofMinutes(30).toMillis());
        AvroDeserializer<ModelCheckpoint> values = new AvroDeserializer<>(ModelCheckpoint.class);
        values.configure(kafka, false);
        try (KafkaConsumer<String, byte[]> kc = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer = kc;
            kc.subscribe(List.of(candidatesTopic));
            while (!stopping) {
                for (ConsumerRecord<String, byte[]> r : kc.poll(Duration.ofMillis(500))) {
                    handle(r, values);
                    kc.commitSync(Map.of(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1)));
                }
            }
        } catch (WakeupException e) {
            // stop()
        } finally {
            consumer = null;
            values.close();
        }
    }

    private void handle(ConsumerRecord<String, byte[]> r, AvroDeserializer<ModelCheckpoint> values) {
        if (r.value() == null) {
            return;
        }
        ModelCheckpoint candidate;
        try {
            candidate = values.deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            log.error("Skipping undecodable candidate record {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
            return;
        }
        if (modelName.isPresent() && !modelName.get().equals(candidate.getModelName())) {
            return;
        }
        if (candidate.getStatus() != CheckpointStatus.CANDIDATE) {
            log.warn("Skipping {} {} on the candidates topic with status {}", candidate.getModelName(), candidate.getVersion(), candidate.getStatus());
            return;
        }
        if (!decided.add(RegistryKeys.version(candidate.getModelName(), candidate.getVersion()))) {
            log.debug("Candidate {} {} already decided (record {}-{}@{})", candidate.getModelName(), candidate.getVersion(),
                    r.topic(), r.partition(), r.offset());
            return;
        }
        URI uri;
        Path dir;
        try { // the record is an input: a malformed URI rejects this candidate, it does not stop the publisher
            uri = URI.create(candidate.getArtifactUri());
            dir = "file".equals(uri.getScheme()) ? Path.of(uri) : null;
        } catch (IllegalArgumentException | java.nio.file.FileSystemNotFoundException e) {
            log.error("Rejecting candidate {} {}: artifact URI is not usable: {}", candidate.getModelName(), candidate.getVersion(), e.getMessage());
            rejections.publish(RegistryRecords.withVerdict(candidate, CheckpointStatus.REJECTED, "artifact URI is not a local file URI", null, Map.of()));
            return;
        }
        CheckpointVerification v = dir == null || !Files.isDirectory(dir) ? null : CheckpointReader.verify(dir, candidate.getManifestSha256());
        if (v == null || !v.isGood()) {
            String why = v == null ? "artifact " + uri + " is not a readable local directory" : RejectionReasons.verificationFailed(v);
            log.error("Rejecting candidate {} {}: {}", candidate.getModelName(), candidate.getVersion(),
                    v == null ? why : "file '" + v.badFile() + "' " + v.problem());
            rejections.publish(RegistryRecords.withVerdict(candidate, CheckpointStatus.REJECTED, why, uri, Map.of()));
            return;
        }
        for (int attempt = 1; ; attempt++) {
            try {
                publisher.publish(v.checkpoint());
                return;
            } catch (RetriableException e) {
                if (attempt >= 5 || stopping) {
                    throw e; // Kafka or the store is down: stop without committing, the candidate is retried on restart
                }
                log.warn("Publishing {} failed (attempt {}), retrying: {}", candidate.getVersion(), attempt, e.getMessage());
                try {
                    Thread.sleep(1000L * attempt);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            } catch (RuntimeException e) {
                // the candidate itself cannot be evaluated (unloadable weights, bad config): retrying repeats it, so it
                // is announced as REJECTED with the reason instead of crash-looping on the same record
                String why = RejectionReasons.evaluationFailed(e);
                log.error("Rejecting candidate {} {}: evaluation failed: {}", candidate.getModelName(), candidate.getVersion(), e.toString(), e);
                rejections.publish(RegistryRecords.withVerdict(candidate, CheckpointStatus.REJECTED, why, uri, Map.of()));
                return;
            }
        }
    }

    /** Asks {@link #run()} to return. */
    public void stop() {
        stopping = true;
        KafkaConsumer<String, byte[]> kc = consumer;
        if (kc != null) {
            kc.wakeup();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
