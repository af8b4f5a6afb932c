package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.format.CheckpointLayout;
import dev.prefstream.checkpoint.format.CheckpointManifest;
import dev.prefstream.checkpoint.format.CheckpointWriter;
import dev.prefstream.checkpoint.format.PartitionOffset;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.checkpoint.split.HeldOutSplit;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.error.RetriableException;
import dev.prefstream.schemas.serde.AvroDeserializer;
import dev.prefstream.schemas.serde.SerdeException;
import dev.prefstream.trainer.dpo.StepMetrics;
import dev.prefstream.trainer.model.DecoderModel;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The trainer service: reads {@code preference-pairs}, trains DPO steps on micro-batches, and checkpoints so that
 * every pair is trained exactly once across crashes.
 *
 * <p>Exactly-once: the pairs consumer uses {@code assign()} (never a group subscription, so rebalances cannot move
 * or reset it) and on start seeks to the offsets in the manifest of the newest good checkpoint. A checkpoint's
 * offsets are, per partition, the first pair not yet trained (held-out and undecodable records before it count as
 * handled), and its per-pair training log lists the pairs trained since the parent checkpoint. Whatever was trained
 * after the last checkpoint is lost with the process and trained again after the restart, into the next checkpoint.
 * Group offsets are committed after each checkpoint only so that lag monitors see progress.
 *
 * <p>Records it cannot use (undecodable, tombstones, untrainable pairs) go to the dead-letter topic with a reason
 * ({@link DeadLetterPublisher}); a checkpoint is written only once every dead letter before its offsets is
 * acknowledged, so a bad record is never lost and is dead-lettered again (at least once) after a crash.
 *
 * <p>Only the instance holding the model's {@link LeaderLease} trains; others wait as standbys.
 */
public final class StreamingTrainer implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StreamingTrainer.class);

    /** Pause before re-reading records that could not be decoded because the schema registry was unreachable. */
    private static final long RETRY_BACKOFF_MILLIS = 1000;

    /**
     * How long the trainer may go without a step before it says what it waits for (and again after as long): a
     * {@code train --max-steps 2} with too few pairs for the second batch otherwise waited silently forever.
     */
    private static final long WAITING_LOG_MILLIS = 60_000;

    /** How often the input topic's partition count is re-read (new partitions join the assignment). */
    private static final long PARTITION_CHECK_MILLIS = 30_000;

    /** How a run ended. */
    public enum Outcome {
        /** stop() was called; a final checkpoint was written if anything was trained. */
        STOPPED,
        /** The configured max steps or the stop timestamp was reached (checkpoint written). */
        FINISHED
    }

    private final StreamingTrainerConfig config;
    private final Map<String, Object> kafka;
    private final PairTrainerFactory trainers;
    private final Supplier<ResumePoint> resume;
    private final TrainerMetrics metrics;
    private final Clock clock;
    private final HeldOutSplit split;
    private final List<CheckpointListener> listeners = new CopyOnWriteArrayList<>();
    private volatile boolean stopping;
    private volatile KafkaConsumer<byte[], byte[]> activeConsumer;
    private volatile LeaderLease activeLease;
    private volatile VerifiedCheckpoint lastCheckpoint;
    /** The trainer of the current leadership term, null between terms. */
    private volatile PairTrainer activeTrainer;

    /**
     * @param config   service settings
     * @param kafka    Kafka client settings (bootstrap.servers, schema.registry.url, security ...)
     * @param trainers opens the DPO trainer at the initial model or a checkpoint
     * @param resume   where to continue from, asked each time this instance becomes leader
     * @param metrics  meters to update
     * @param clock    time source (checkpoint timer, batch wait)
     */
    public StreamingTrainer(StreamingTrainerConfig config, Map<String, Object> kafka, PairTrainerFactory trainers,
                            Supplier<ResumePoint> resume, TrainerMetrics metrics, Clock clock) {
        this.config = config;
        this.kafka = Map.copyOf(kafka);
        this.trainers = trainers;
        this.resume = resume;
        this.metrics = metrics;
        this.clock = clock;
        this.split = new HeldOutSplit(config.heldOutFraction(), config.heldOutSalt());
    }

    /** The live trainer's resume rule: newest good checkpoint in the configured root and its offsets. */
    public static Supplier<ResumePoint> resumeFromNewestCheckpoint(StreamingTrainerConfig config) {
        return () -> ResumePoint.newestIn(config.checkpointsDir(), config.startFromEarliest());
    }

    /**
     * The current trainer's frozen copy of the initial policy ({@link PairTrainer#frozenInitialPolicy}), empty between
     * leadership terms. Only for listeners, which run on the training thread between steps: the model stays open
     * for the duration of their call, and they must neither change nor close it.
     */
    public Optional<DecoderModel> frozenInitialPolicy() {
        PairTrainer t = activeTrainer;
        return t == null ? Optional.empty() : t.frozenInitialPolicy();
    }

    /** Adds a listener told about every checkpoint. */
    public void addListener(CheckpointListener l) {
        listeners.add(l);
    }

    /** The last checkpoint this instance wrote, if any. */
    public Optional<VerifiedCheckpoint> lastCheckpoint() {
        return Optional.ofNullable(lastCheckpoint);
    }

    /** Asks {@link #run()} to finish: it trains no further step, writes a final checkpoint and returns. Thread-safe. */
    public void stop() {
        stopping = true;
        KafkaConsumer<byte[], byte[]> c = activeConsumer;
        if (c != null) {
            c.wakeup();
        }
        LeaderLease l = activeLease;
        if (l != null) {
            l.wakeup();
        }
    }

    /** Runs until stopped or finished; as a standby it first waits for the leader lease. */
    public Outcome run() {
        LeaderLease lease = config.leaderElection()
                ? new LeaderLease(kafka, config.modelName(), config.groupId(), config.leaderSessionTimeout(), config.leaderInstanceId()) : null;
        activeLease = lease;
        try {
            while (!stopping) {
                if (lease != null && !lease.awaitLeadership(() -> stopping)) {
                    break;
                }
                Optional<Outcome> o = lead(lease);
                if (o.isPresent()) {
                    return o.get();
                }
                log.warn("Leadership lost: dropped untrained buffered pairs and in-memory progress since the last checkpoint; back to standby");
            }
            return Outcome.STOPPED;
        } finally {
            activeLease = null;
            if (lease != null) {
                lease.close();
            }
        }
    }

    /** Trains while leading; empty when leadership was lost (the caller goes back to standby). */
    private Optional<Outcome> lead(LeaderLease lease) {
        ResumePoint rp = resume.get();
        Map<String, Object> c = new HashMap<>(kafka);
        c.remove("schema.registry.url");
        c.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "prefstream-trainer-" + config.modelName());
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.max(64, config.pairsPerOptimizerStep() * 4));
        AvroDeserializer<PreferencePair> pairs = new AvroDeserializer<>(PreferencePair.class);
        pairs.configure(kafka, false);
        // start offsets are looked up with a second, group-less consumer: the Kafka client records the answer of
        // any ListOffsets call (beginningOffsets, offsetsForTimes) on an assigned partition as its last stable
        // offset, so on the training consumer a partition not fetched yet would read as "caught up" (lag 0) and the
        // merge would form batches without it, in an order a replay would not reproduce
        Map<String, Object> probe = new HashMap<>(c);
        probe.remove(ConsumerConfig.GROUP_ID_CONFIG);
        probe.put(ConsumerConfig.CLIENT_ID_CONFIG, "prefstream-trainer-offsets-" + config.modelName());
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             KafkaConsumer<byte[], byte[]> offsets = new KafkaConsumer<>(probe, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             DeadLetterPublisher deadLetters = new DeadLetterPublisher(kafka, config.deadLetterTopic(), config.modelName());
             PairTrainer trainer = trainers.open(rp.checkpoint())) {
            activeConsumer = consumer;
            activeTrainer = trainer;
            if (stopping) {
                return Optional.of(Outcome.STOPPED);
            }
            return new Session(consumer, offsets, pairs, deadLetters, trainer, rp, lease).train();
        } catch (WakeupException e) {
            return Optional.of(Outcome.STOPPED); // stop() while positions were being resolved: nothing trained yet
        } finally {
            activeConsumer = null;
            activeTrainer = null;
            pairs.close();
        }
    }

    /** One leadership term: from a resume point until stop, finish or loss of the lease. */
    private final class Session {
        private final KafkaConsumer<byte[], byte[]> consumer;
        /** Answers start-offset lookups, keeping them out of the training consumer's state (see {@link #lead}). */
        private final KafkaConsumer<byte[], byte[]> offsets;
        private final AvroDeserializer<PreferencePair> deserializer;
        private final DeadLetterPublisher deadLetters;
        private final PairTrainer trainer;
        private final LeaderLease lease;
        private final CheckpointWriter writer;
        private final MicroBatcher batcher;
        private final List<TopicPartition> assigned = new ArrayList<>();
        /** Per partition: next offset after the last record handled (trained, buffered, held out or skipped). */
        private final Map<TopicPartition, Long> nextFetched = new HashMap<>();
        /** Partitions that reached the stop timestamp (paused). */
        private final Set<TopicPartition> atBound = new HashSet<>();
        /** Partitions whose next record could not be decoded for a retriable reason during the current poll. */
        private final Set<TopicPartition> retryThisPoll = new HashSet<>();
        private final List<TrainingLogEntry> sinceCheckpoint = new ArrayList<>();
        private String parentVersion;
        private long pairsTrained;
        private long stepsSinceCheckpoint;
        private long lastCheckpointAt;
        private long lastPartitionCheckAt;
        /** When the last step was trained or the last "waiting" line logged. */
        private long lastActivityAt;
        private final ResumePoint resumePoint;
        private long iteration = -1;
        private StepMetrics lastMetrics;

        Session(KafkaConsumer<byte[], byte[]> consumer, KafkaConsumer<byte[], byte[]> offsets,
                AvroDeserializer<PreferencePair> deserializer, DeadLetterPublisher deadLetters,
                PairTrainer trainer, ResumePoint rp, LeaderLease lease) {
            this.consumer = consumer;
            this.offsets = offsets;
            this.deserializer = deserializer;
            this.deadLetters = deadLetters;
            this.trainer = trainer;
            this.lease = lease;
            this.writer = new CheckpointWriter(config.checkpointsDir(), config.keepCheckpoints());
            this.batcher = new MicroBatcher(config.pairsPerOptimizerStep(), config.maxBatchWait());
            this.resumePoint = rp;
            rp.checkpoint().ifPresent(cp -> {
                parentVersion = cp.version();
                pairsTrained = cp.manifest().pairsTrained();
            });
            List<PartitionInfo> infos = consumer.partitionsFor(config.inputTopic(), Duration.ofSeconds(60));
            if (infos == null || infos.isEmpty()) {
                throw new RetriableException("input topic " + config.inputTopic() + " does not exist (yet)");
            }
            infos.stream().map(i -> new TopicPartition(i.topic(), i.partition()))
                    .sorted(Comparator.comparingInt(TopicPartition::partition)).forEach(assigned::add);
            consumer.assign(assigned);
            offsets.assign(assigned); // only so the client keeps the answers instead of warning about them; never polled
            Map<TopicPartition, Long> start = rp.positions().resolve(offsets, assigned, rp.checkpoint());
            for (TopicPartition tp : assigned) {
                long o = start.get(tp);
                consumer.seek(tp, o);
                nextFetched.put(tp, o);
            }
            lastCheckpointAt = clock.millis();
            lastPartitionCheckAt = lastCheckpointAt;
            lastActivityAt = lastCheckpointAt;
            log.info("Training {} from {} at step {}; {} positions {}", config.modelName(),
                    rp.checkpoint().map(cp -> cp.dir().toString()).orElse("the initial model"), trainer.step(),
                    config.inputTopic(), new TreeMap<>(start.entrySet().stream().collect(
                            Collectors.toMap(e -> e.getKey().partition(), Map.Entry::getValue))));
            // a crash between writing a checkpoint and its listeners finishing (an in-process evaluation takes
            // seconds) would otherwise leave the checkpoint we continue from unannounced for good
            rp.checkpoint().ifPresent(cp -> {
                for (CheckpointListener l : listeners) {
                    try {
                        l.onResume(cp);
                    } catch (RuntimeException e) {
                        StreamingTrainer.log.error("Checkpoint listener failed on resuming from {}: {}", cp.dir(), e.toString(), e);
                    }
                }
            });
        }

        Optional<Outcome> train() {
            while (true) {
                if (stopping) {
                    finalCheckpoint("clean shutdown");
                    return Optional.of(Outcome.STOPPED);
                }
                ConsumerRecords<byte[], byte[]> records;
                try {
                    records = consumer.poll(Duration.ofMillis(200));
                } catch (WakeupException e) {
                    continue; // stop() woke us; the loop head handles it
                }
                long now = clock.millis();
                if (now - lastPartitionCheckAt >= PARTITION_CHECK_MILLIS) {
                    lastPartitionCheckAt = now;
                    assignNewPartitions();
                }
                retryThisPoll.clear();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    accept(r, now);
                }
                if (!retryThisPoll.isEmpty()) {
                    sleepQuietly(RETRY_BACKOFF_MILLIS);
                }
                updateLag();
                Optional<List<PairRecord>> batch;
                while (!stopping && (batch = batcher.nextBatch(clock.millis(), assigned, this::caughtUp)).isPresent()) {
                    if (lease != null && !lease.stillLeader()) {
                        return Optional.empty();
                    }
                    step(batch.get());
                    if (config.stopAtStep() > 0 && trainer.step() >= config.stopAtStep()) {
                        finalCheckpoint("reached max steps " + config.stopAtStep());
                        return Optional.of(Outcome.FINISHED);
                    }
                    maybeCheckpoint();
                }
                if (config.stopAtTimestampMs() >= 0 && batcher.size() == 0 && assigned.stream().allMatch(this::caughtUp)) {
                    finalCheckpoint("every partition reached the stop timestamp");
                    return Optional.of(Outcome.FINISHED);
                }
                if (config.stopAtTimestampMs() >= 0 && allDrainedToBound()) {
                    // at the bound, the last partial batch closes at once instead of waiting for pairs that will not come
                    batcher.nextBatch(Long.MAX_VALUE, assigned, tp -> true).ifPresent(this::step);
                    continue;
                }
                if (lease != null && !lease.stillLeader()) {
                    return Optional.empty();
                }
                maybeCheckpoint();
                logWaiting(clock.millis());
            }
        }

        /** After {@link #WAITING_LOG_MILLIS} without a step: one line saying what would close the next batch. */
        private void logWaiting(long now) {
            if (now - lastActivityAt < WAITING_LOG_MILLIS) {
                return;
            }
            lastActivityAt = now;
            log.info("Waiting for pairs on {}: {} buffered; a batch closes at {} pairs or {} s after its oldest buffered pair; "
                            + "step {}{}, {} pairs trained so far", config.inputTopic(), batcher.size(), config.pairsPerOptimizerStep(),
                    config.maxBatchWait().toSeconds(), trainer.step(),
                    config.stopAtStep() > 0 ? " of --max-steps " + config.stopAtStep() : "", pairsTrained);
        }

        /**
         * Partitions added to the input topic while running are assigned too, from where the resume rule puts them
         * (the checkpoint's offset if it lists them, else the beginning or end): their pairs were never trained.
         */
        private void assignNewPartitions() {
            List<PartitionInfo> infos;
            try {
                infos = consumer.partitionsFor(config.inputTopic(), Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                return; // metadata unavailable right now (broker restarting): try again later
            }
            List<TopicPartition> added = infos.stream().map(i -> new TopicPartition(i.topic(), i.partition()))
                    .filter(tp -> !assigned.contains(tp)).sorted(Comparator.comparingInt(TopicPartition::partition)).toList();
            if (added.isEmpty()) {
                return;
            }
            List<TopicPartition> all = new ArrayList<>(assigned);
            all.addAll(added);
            consumer.assign(all);
            offsets.assign(all);
            Map<TopicPartition, Long> start = resumePoint.positions().resolve(offsets, added, resumePoint.checkpoint());
            for (TopicPartition tp : added) {
                consumer.seek(tp, start.get(tp));
                nextFetched.put(tp, start.get(tp));
            }
            assigned.addAll(added);
            log.info("Input topic {} grew: now also consuming partitions {} from {}", config.inputTopic(), added, start);
        }

        private void accept(ConsumerRecord<byte[], byte[]> r, long now) {
            TopicPartition tp = new TopicPartition(r.topic(), r.partition());
            if (atBound.contains(tp)) {
                return;
            }
            if (config.stopAtTimestampMs() >= 0 && r.timestamp() > config.stopAtTimestampMs()) {
                atBound.add(tp);
                consumer.pause(List.of(tp));
                return; // not handled: the checkpoint's next offset stays at this record
            }
            if (retryThisPoll.contains(tp)) {
                return; // an earlier record of this partition must be decoded first
            }
            PreferencePair pair;
            try {
                pair = r.value() == null ? null : deserializer.deserialize(r.topic(), r.value());
            } catch (SerdeException e) {
                if (e.retriable()) {
                    // the registry is unreachable: the pair is fine, so read it again later instead of skipping it
                    consumer.seek(tp, r.offset());
                    retryThisPoll.add(tp);
                    log.warn("Cannot decode {}-{}@{} yet (will retry): {}", r.topic(), r.partition(), r.offset(), e.getMessage());
                    return;
                }
                nextFetched.put(tp, r.offset() + 1);
                deadLetter(r, e.reason().name().toLowerCase(java.util.Locale.ROOT), e.getMessage());
                return;
            } catch (RuntimeException e) {
                nextFetched.put(tp, r.offset() + 1);
                deadLetter(r, "undeserializable", e.toString());
                return;
            }
            nextFetched.put(tp, r.offset() + 1);
            if (pair == null) {
                deadLetter(r, "tombstone", "empty (tombstone) record on the pairs topic");
                return;
            }
            if (split.isHeldOut(pair.getPairId())) {
                metrics.heldOut();
                return;
            }
            Optional<PairTexts.Problem> problem = trainer.texts().problem(pair);
            if (problem.isPresent()) {
                // handled (the checkpoint moves past it once the dead letter is acknowledged): it would fail the same way on every retry
                deadLetter(r, problem.get().reason(), "pair " + pair.getPairId() + ": " + problem.get().message());
                return;
            }
            batcher.add(new PairRecord(r.topic(), r.partition(), r.offset(), r.timestamp(), pair), now);
        }

        /** Counts, logs and dead-letters a record the trainer cannot use (delivery is awaited before the next checkpoint). */
        private void deadLetter(ConsumerRecord<byte[], byte[]> r, String reason, String message) {
            metrics.badRecord();
            log.error("Dead-lettering record {}-{}@{} to {} ({}): {}", r.topic(), r.partition(), r.offset(), deadLetters.topic(), reason, message);
            deadLetters.send(r, reason, message);
        }

        private boolean caughtUp(TopicPartition tp) {
            if (atBound.contains(tp)) {
                return true;
            }
            OptionalLong lag = consumer.currentLag(tp);
            return lag.isPresent() && lag.getAsLong() == 0;
        }

        private boolean allDrainedToBound() {
            if (batcher.size() == 0) {
                return false;
            }
            for (TopicPartition tp : assigned) {
                if (!caughtUp(tp)) {
                    return false;
                }
            }
            return true;
        }

        private void updateLag() {
            long total = batcher.size();
            for (TopicPartition tp : assigned) {
                OptionalLong l = consumer.currentLag(tp);
                if (l.isPresent()) {
                    total += l.getAsLong();
                }
            }
            metrics.lag(total);
        }

        private void step(List<PairRecord> batch) {
            lastActivityAt = clock.millis();
            long it = config.iterationSteps() > 0 ? trainer.step() / config.iterationSteps() : 0;
            if (it != iteration) {
                trainer.startIteration(it);
                if (iteration >= 0) {
                    log.info("Iteration {} begins at step {} (reference {} mode {})", it, trainer.step(), trainer.referenceVersion(), config.referenceMode());
                }
                iteration = it;
            }
            long t0 = System.nanoTime();
            StepMetrics m = trainer.trainStep(batch);
            long nanos = System.nanoTime() - t0;
            long step = trainer.step();
            for (PairRecord r : batch) {
                sinceCheckpoint.add(TrainingLogEntry.of(r, step));
            }
            pairsTrained += batch.size();
            stepsSinceCheckpoint++;
            lastMetrics = m;
            metrics.step(m, nanos);
            log.debug("step {}: {} pairs, loss {}", step, batch.size(), m.loss());
        }

        private void maybeCheckpoint() {
            if (stepsSinceCheckpoint == 0) {
                return;
            }
            if (stepsSinceCheckpoint >= config.checkpointEverySteps()) {
                checkpoint("every " + config.checkpointEverySteps() + " steps");
            } else if (clock.millis() - lastCheckpointAt >= config.checkpointEvery().toMillis()) {
                checkpoint("every " + config.checkpointEvery().toSeconds() + " s");
            }
        }

        private void finalCheckpoint(String why) {
            if (stepsSinceCheckpoint > 0) {
                checkpoint(why);
            }
        }

        private void checkpoint(String why) {
            if (lease != null && !lease.stillLeader()) {
                log.warn("Not writing a checkpoint: the leader lease was lost");
                return;
            }
            boolean delivered;
            try {
                delivered = deadLetters.awaitDelivered();
            } catch (DeadLetterPublisher.DeadLetterUndeliverableException e) {
                metrics.deadLettersUndeliverable();
                log.error("DeadLetterUndeliverable: {}", e.getMessage());
                throw e;
            }
            if (!delivered) {
                metrics.deadLettersUndeliverable();
                // the checkpoint's offsets would pass records whose dead letters may be lost: put it off (the next
                // trigger tries again; if the process ends first, its pairs are retrained from the last checkpoint)
                log.warn("Not writing a checkpoint ({}): {} dead letter(s) to {} are not acknowledged yet", why,
                        deadLetters.unacknowledged(), deadLetters.topic());
                return;
            }
            List<PartitionOffset> offsets = new ArrayList<>();
            for (TopicPartition tp : assigned) {
                OptionalLong buffered = batcher.firstBufferedOffset(tp);
                offsets.add(new PartitionOffset(tp.topic(), tp.partition(), buffered.isPresent() ? buffered.getAsLong() : nextFetched.get(tp)));
            }
            Map<String, String> props = new LinkedHashMap<>();
            props.put("input_topic", config.inputTopic());
            props.put("held_out_fraction", Double.toString(config.heldOutFraction()));
            props.put("held_out_salt", config.heldOutSalt());
            props.put("reference_mode", config.referenceMode().name());
            props.put("iteration_steps", Long.toString(config.iterationSteps()));
            props.put("checkpoint_reason", why);
            props.putAll(trainer.manifestProperties());
            long step = trainer.step();
            CheckpointManifest draft = new CheckpointManifest(CheckpointManifest.FORMAT_VERSION, config.modelName(),
                    CheckpointLayout.versionFor(step), parentVersion, step, Math.max(iteration, 0), trainer.referenceVersion(),
                    pairsTrained, Instant.ofEpochMilli(clock.millis()), lastMetrics == null ? Map.of() : lastMetrics.toMap(), offsets, props, Map.of());
            List<TrainingLogEntry> log = List.copyOf(sinceCheckpoint);
            VerifiedCheckpoint cp = writer.write(draft, dir -> {
                trainer.saveTo(dir);
                TrainingLog.write(dir.resolve(CheckpointLayout.TRAINING_LOG), log);
            });
            sinceCheckpoint.clear();
            stepsSinceCheckpoint = 0;
            lastCheckpointAt = clock.millis();
            parentVersion = cp.version();
            lastCheckpoint = cp;
            metrics.checkpointWritten(lastCheckpointAt);
            StreamingTrainer.log.info("Checkpoint {} ({}): step {}, {} pairs in total, offsets {}", cp.version(), why, step, pairsTrained,
                    offsets.stream().map(o -> o.partition() + "=" + o.nextOffset()).toList());
            commitForLagMonitoring(offsets);
            for (CheckpointListener l : listeners) {
                try {
                    l.onCheckpoint(cp);
                } catch (RuntimeException e) {
                    StreamingTrainer.log.error("Checkpoint listener failed for {} (the checkpoint stays on disk): {}", cp.dir(), e.toString(), e);
                }
            }
        }

        private void commitForLagMonitoring(List<PartitionOffset> offsets) {
            Map<TopicPartition, OffsetAndMetadata> commit = new HashMap<>();
            for (PartitionOffset o : offsets) {
                commit.put(new TopicPartition(o.topic(), o.partition()), new OffsetAndMetadata(o.nextOffset(), "checkpoint " + parentVersion));
            }
            try {
                consumer.commitSync(commit, Duration.ofSeconds(10));
            } catch (WakeupException e) {
                stopping = true; // woken by stop(); the commit is only for monitoring
            } catch (RuntimeException e) {
                StreamingTrainer.log.warn("Could not commit group offsets for lag monitoring (training is unaffected): {}", e.toString());
            }
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        stop();
    }
}
