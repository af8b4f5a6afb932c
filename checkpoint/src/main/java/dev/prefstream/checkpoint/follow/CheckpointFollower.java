package dev.prefstream.checkpoint.follow;

import dev.prefstream.checkpoint.lora.LoraCheckpointFiles;
import dev.prefstream.checkpoint.registry.RegistryKeys;
import dev.prefstream.checkpoint.registry.RegistryReader;
import dev.prefstream.checkpoint.store.CheckpointStore;
import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.serde.AvroDeserializer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * Library API for serving: tails the model-registry topic for one model, and whenever a newer PROMOTED checkpoint
 * is announced, fetches it from the {@link CheckpointStore}, verifies it against the announced manifest hash and
 * calls back with the verified local directory (e.g. to hot-swap the model being served). A checkpoint that fails
 * verification is logged and skipped; the callback keeps the previous one.
 * <pre>
 * try (CheckpointFollower f = new CheckpointFollower(kafka, "model-registry", "tiny", store, cacheDir,
 *         cp -&gt; swapModel(cp.path()))) {   // LoRA: cp.path() is a PEFT adapter dir, cp.baseDir() its base
 *     f.start();
 *     ...
 * }
 * </pre>
 * (Java serving on the trainer's DJL model: {@code FollowedCheckpointLoader.load(cp, device)} in the publisher module.)
 * Runs one daemon thread with a group-less consumer from the beginning of the topic (compacted: one record per
 * version and model survives, see {@link RegistryKeys}) and, once caught up, delivers only the newest promoted
 * version, then each newer one as it is announced.
 * <p>
 * The registry topic is an input like any other: a record that does not decode is skipped and counted, and a
 * PROMOTED record with a lower step than the newest one seen (a replayed old record, or a forged one) does not roll
 * serving back unless the operator asked for rollbacks with {@link #allowRollback()}. Where the checkpoint may come
 * from is the {@link CheckpointStore}'s concern (the local store refuses anything outside its root).
 */
public final class CheckpointFollower implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CheckpointFollower.class);

    private final Map<String, Object> kafka;
    private final String topic;
    private final String modelName;
    private final CheckpointStore store;
    private final Path cacheDir;
    private final Consumer<FollowedCheckpoint> onNewCheckpoint;
    private final Set<String> refused = new HashSet<>();
    private volatile FollowedCheckpoint current;
    private volatile boolean closed;
    private volatile boolean rollbackAllowed;
    /** Promoted records kept per step to fall back on when the newest is refused. */
    private static final int KEPT_PROMOTED = 64;
    private final java.util.concurrent.atomic.AtomicLong undecodable = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicLong rollbacksRefused = new java.util.concurrent.atomic.AtomicLong();
    private volatile KafkaConsumer<String, byte[]> consumer;
    private Thread thread;

    /**
     * @param kafka           client settings incl. schema.registry.url
     * @param topic           the registry topic
     * @param modelName       model to follow
     * @param store           where announced artifacts are fetched from
     * @param cacheDir        local directory for downloads (unused by the local store)
     * @param onNewCheckpoint called on the follower thread with each newly promoted, verified checkpoint
     */
    public CheckpointFollower(Map<String, Object> kafka, String topic, String modelName, CheckpointStore store, Path cacheDir,
                              Consumer<FollowedCheckpoint> onNewCheckpoint) {
        this.kafka = Map.copyOf(kafka);
        this.topic = topic;
        this.modelName = modelName;
        this.store = store;
        this.cacheDir = cacheDir;
        this.onNewCheckpoint = onNewCheckpoint;
    }

    /** Starts the follower thread. */
    public synchronized void start() {
        if (thread != null) {
            throw new IllegalStateException("already started");
        }
        thread = new Thread(this::run, "prefstream-checkpoint-follower-" + modelName);
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Follows the last PROMOTED record in log order even when its step is lower than the one served (an operator's
     * deliberate rollback, or a model retrained from scratch under the same name). Call before {@link #start()}.
     */
    public CheckpointFollower allowRollback() {
        this.rollbackAllowed = true;
        return this;
    }

    /** Registry records skipped because they did not deserialize. */
    public long undecodableRecords() {
        return undecodable.get();
    }

    /** PROMOTED records ignored because their step is lower than the newest one seen (rollbacks not allowed). */
    public long rollbacksRefused() {
        return rollbacksRefused.get();
    }

    /** The checkpoint delivered last, if any. */
    public Optional<FollowedCheckpoint> current() {
        return Optional.ofNullable(current);
    }

    private void run() {
        Map<String, Object> c = RegistryReader.consumerConfig(kafka);
        AvroDeserializer<ModelCheckpoint> values = RegistryReader.valueDeserializer(kafka);
        try (KafkaConsumer<String, byte[]> kc = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer = kc;
            if (closed) {
                return;
            }
            List<TopicPartition> tps = kc.partitionsFor(topic, Duration.ofSeconds(60)).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            kc.assign(tps);
            kc.seekToBeginning(tps);
            ModelCheckpoint newest = null; // the last promoted in log order (rollbacks allowed)
            java.util.TreeMap<Long, ModelCheckpoint> byStep = new java.util.TreeMap<>(); // otherwise: the highest step wins
            while (!closed) {
                for (ConsumerRecord<String, byte[]> r : kc.poll(Duration.ofMillis(500))) {
                    if (r.value() == null) {
                        continue;
                    }
                    try {
                        ModelCheckpoint mc = values.deserialize(r.topic(), r.value());
                        if (mc.getStatus() == CheckpointStatus.PROMOTED && mc.getModelName().equals(modelName)) {
                            if (rollbackAllowed) {
                                newest = mc;
                            } else {
                                if (!byStep.isEmpty() && mc.getStep() < byStep.lastKey()) {
                                    rollbacksRefused.incrementAndGet();
                                    log.warn("Follower will not roll back to PROMOTED {} {} (step {}) at {}-{}@{}: step {} was promoted before "
                                            + "(allowRollback() to follow it)", modelName, mc.getVersion(), mc.getStep(), r.topic(), r.partition(), r.offset(), byStep.lastKey());
                                }
                                byStep.put(mc.getStep(), mc);
                                if (byStep.size() > KEPT_PROMOTED) {
                                    byStep.pollFirstEntry();
                                }
                            }
                        }
                    } catch (RuntimeException e) { // SerdeException, hostile nesting included (see AvroDeserializer)
                        undecodable.incrementAndGet();
                        log.error("Follower skips undecodable registry record at {}-{}@{}: {}", r.topic(), r.partition(), r.offset(), e.getMessage());
                    }
                }
                // deliver only once caught up, so a follower starting on a long history loads one model, not each
                boolean caughtUp = tps.stream().allMatch(tp -> kc.currentLag(tp).orElse(1) == 0);
                if (caughtUp) {
                    ModelCheckpoint next = rollbackAllowed ? newest : highestNotRefused(byStep);
                    if (next != null) {
                        deliver(next);
                    }
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("Checkpoint follower for {} stopped: {}", modelName, e.toString(), e);
        } finally {
            values.close();
            consumer = null;
        }
    }

    /**
     * The promoted record with the highest step whose checkpoint was not refused, unless it is older than the one
     * served: a record that cannot be fetched (outside the store, bad hash) falls back to the next highest, never
     * below what is being served.
     */
    private ModelCheckpoint highestNotRefused(java.util.TreeMap<Long, ModelCheckpoint> byStep) {
        FollowedCheckpoint cur = current;
        for (ModelCheckpoint mc : byStep.descendingMap().values()) {
            if (cur != null && mc.getStep() < cur.record().getStep()) {
                return null;
            }
            if (!refused.contains(mc.getVersion() + "#" + mc.getManifestSha256())) {
                return mc;
            }
        }
        return null;
    }

    private void deliver(ModelCheckpoint mc) {
        String key = mc.getVersion() + "#" + mc.getManifestSha256();
        FollowedCheckpoint cur = current;
        if (cur != null && (cur.record().getVersion() + "#" + cur.record().getManifestSha256()).equals(key)) {
            return;
        }
        if (refused.contains(key)) {
            return;
        }
        try {
            var cp = store.fetch(java.net.URI.create(mc.getArtifactUri()), mc.getManifestSha256(), cacheDir);
            FollowedCheckpoint f = new FollowedCheckpoint(mc, cp);
            if (f.isLora()) {
                // LoRA: the adapters are only valid on their base, so its files are checked against its hash too
                LoraCheckpointFiles.baseOf(cp.dir()).verify();
            }
            current = f;
            log.info("Following {} {} at {}", modelName, mc.getVersion(), cp.dir());
            onNewCheckpoint.accept(f);
        } catch (RuntimeException e) {
            refused.add(key);
            log.error("Refusing promoted checkpoint {} {} from {}: {} (keeping {})", modelName, mc.getVersion(), mc.getArtifactUri(),
                    e.getMessage(), cur == null ? "none" : cur.version());
        }
    }

    @Override
    public void close() {
        closed = true;
        KafkaConsumer<String, byte[]> kc = consumer;
        if (kc != null) {
            kc.wakeup();
        }
        Thread t = thread;
        if (t != null) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
