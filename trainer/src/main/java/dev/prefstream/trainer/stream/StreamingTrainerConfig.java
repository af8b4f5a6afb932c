package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.split.HeldOutSplit;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.trainer.dpo.ReferenceMode;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.settings.SettingKey;
import dev.prefstream.trainer.settings.Settings;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Settings of the streaming trainer service (the DPO hyperparameters themselves live in the trainer core's config).
 * This record owns the {@code prefstream.trainer.*} keys declared below ({@link #KEYS}; read by
 * {@link TrainerSettings#REGISTRY}), and with them the batching and the reference mode: the trainer core's
 * {@code pairsPerOptimizerStep}, {@code gradientAccumulation} and {@code referenceMode} are set from here
 * ({@link #applyTo}), never read from a key of their own.
 *
 * @param modelName             logical model name: model-registry key, checkpoint manifests, consumer group suffix
 * @param inputTopic            the pairs topic to learn from (preference-pairs, or a reprocessed copy)
 * @param groupId               consumer group the trainer commits its checkpointed offsets to (lag monitoring only)
 * @param checkpointsDir        local checkpoints root ({@code --out})
 * @param microBatchPairs       pairs per micro-batch (one forward/backward pass)
 * @param gradientAccumulation  micro-batches per optimizer step; one step trains microBatchPairs x this many pairs
 * @param maxBatchWait          longest wait before a smaller batch is trained (so a trickle still trains)
 * @param iterationSteps        optimizer steps per iterative-DPO iteration (the reference is refreshed at each boundary); 0 = one endless iteration
 * @param referenceMode         FIXED (initial model), REFRESH (hard copy at boundaries) or TR_DPO (soft mixing)
 * @param checkpointEverySteps  take a checkpoint after this many steps since the last one
 * @param checkpointEvery       ... or when this much time passed since the last one (and at least one step ran)
 * @param keepCheckpoints       finished checkpoints kept locally (>= 2)
 * @param heldOutFraction       share of pairs held out for evaluation (never trained)
 * @param heldOutSalt           salt of the held-out hash split (trainer and publisher must agree)
 * @param startFromEarliest     with no checkpoint: true = train the whole retained log, false = only new pairs
 * @param stopAtStep            stop (with a checkpoint) once the optimizer step, counted from the initial model, reaches
 *                              this; 0 = run until stopped
 * @param stopAtTimestampMs     train only pairs with timestamp <= this, then stop with a checkpoint; -1 = no bound (replay --to-timestamp)
 * @param leaderElection        take the per-model leader lease before training (off for replay, which writes elsewhere)
 * @param leaderSessionTimeout  how long a dead leader keeps the lease before a standby takes over (>= broker's 6 s minimum)
 * @param metricsPort           port of the Prometheus /metrics endpoint; 0 = pick a free one, -1 = off
 * @param leaderInstanceId      static group membership id for the lease (e.g. the pod name): a restarted instance with
 *                              the same id takes its lease back at once instead of after the session timeout; null = dynamic
 * @param deadLetterTopic       where pair records the trainer cannot use go, with the reason (preference-pairs-dlq)
 */
public record StreamingTrainerConfig(
        String modelName,
        String inputTopic,
        String groupId,
        Path checkpointsDir,
        int microBatchPairs,
        int gradientAccumulation,
        Duration maxBatchWait,
        long iterationSteps,
        ReferenceMode referenceMode,
        long checkpointEverySteps,
        Duration checkpointEvery,
        int keepCheckpoints,
        double heldOutFraction,
        String heldOutSalt,
        boolean startFromEarliest,
        long stopAtStep,
        long stopAtTimestampMs,
        boolean leaderElection,
        Duration leaderSessionTimeout,
        int metricsPort,
        String leaderInstanceId,
        String deadLetterTopic) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,200}");

    public StreamingTrainerConfig {
        Objects.requireNonNull(modelName, "modelName");
        if (!NAME.matcher(modelName).matches()) {
            throw new IllegalArgumentException("model name must match " + NAME.pattern() + " (it names topics and directories), got '" + modelName + "'");
        }
        Objects.requireNonNull(inputTopic, "inputTopic");
        Objects.requireNonNull(groupId, "groupId");
        Objects.requireNonNull(checkpointsDir, "checkpointsDir");
        Objects.requireNonNull(referenceMode, "referenceMode");
        require(microBatchPairs >= 1, "microBatchPairs must be >= 1, got " + microBatchPairs);
        require(gradientAccumulation >= 1, "gradientAccumulation must be >= 1, got " + gradientAccumulation);
        require(maxBatchWait != null && !maxBatchWait.isNegative(), "maxBatchWait must be >= 0");
        require(iterationSteps >= 0, "iterationSteps must be >= 0, got " + iterationSteps);
        require(checkpointEverySteps >= 1, "checkpointEverySteps must be >= 1, got " + checkpointEverySteps);
        require(checkpointEvery != null && checkpointEvery.toMillis() >= 1, "checkpointEvery must be positive");
        require(keepCheckpoints >= 2, "keepCheckpoints must be >= 2 (a damaged newest checkpoint needs a fallback), got " + keepCheckpoints);
        require(heldOutFraction >= 0 && heldOutFraction <= 0.5, "heldOutFraction must be in [0, 0.5], got " + heldOutFraction);
        require(heldOutSalt != null && !heldOutSalt.isEmpty(), "heldOutSalt must not be empty");
        require(stopAtStep >= 0, "stopAtStep must be >= 0, got " + stopAtStep);
        require(leaderSessionTimeout != null && leaderSessionTimeout.toMillis() >= 1000, "leaderSessionTimeout must be >= 1 s");
        require(metricsPort >= -1 && metricsPort <= 65535, "metricsPort must be -1 (off), 0 (any) or a port, got " + metricsPort);
        require(deadLetterTopic != null && !deadLetterTopic.isBlank(), "deadLetterTopic must not be empty");
        require(!deadLetterTopic.equals(inputTopic), "deadLetterTopic must differ from the input topic " + inputTopic);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** Pairs trained per optimizer step: microBatchPairs x gradientAccumulation. */
    public int pairsPerOptimizerStep() {
        return microBatchPairs * gradientAccumulation;
    }

    /**
     * {@code core} with the batching and the reference mode of this config, which owns them: the trainer core batches
     * and refreshes its reference as the streaming loop feeds it, whatever the core config (or a checkpoint's saved
     * one) said.
     */
    public TrainerConfig applyTo(TrainerConfig core) {
        return core.toBuilder()
                .pairsPerOptimizerStep(pairsPerOptimizerStep())
                .gradientAccumulation(gradientAccumulation)
                .referenceMode(referenceMode)
                .build();
    }

    private static final String KEY = "prefstream.trainer.";

    public static final SettingKey<String> MODEL_NAME = SettingKey.ofString(KEY + "model-name", null,
            "model-registry key, manifests, consumer group suffix").documentedDefault("preset or directory name");
    public static final SettingKey<String> INPUT_TOPIC = SettingKey.ofString(KEY + "input-topic", TopicLayout.PREFERENCE_PAIRS,
            "the pairs topic to learn from");
    public static final SettingKey<String> GROUP_ID = SettingKey.ofString(KEY + "group-id", null,
            "consumer group the checkpointed offsets are committed to (lag monitoring only)").documentedDefault("prefstream-trainer.<model>");
    public static final SettingKey<Integer> MICRO_BATCH_PAIRS = SettingKey.ofInt(KEY + "micro-batch-pairs", 8,
            "pairs per micro-batch (one forward/backward pass); an optimizer step trains micro-batch-pairs x gradient-accumulation pairs")
            .alsoReadAs(KEY + "pairs-per-step", "it is the micro-batch, not the pairs per optimizer step");
    public static final SettingKey<Integer> GRADIENT_ACCUMULATION = SettingKey.ofInt(KEY + "gradient-accumulation", 1,
            "micro-batches per optimizer step");
    public static final SettingKey<Long> MAX_BATCH_WAIT_MS = SettingKey.ofLong(KEY + "max-batch-wait-ms", 10_000L,
            "train a smaller batch after this wait, so a trickle still trains");
    public static final SettingKey<Long> ITERATION_STEPS = SettingKey.ofLong(KEY + "iteration-steps", 100L,
            "iterative DPO: optimizer steps per iteration (the reference is refreshed at each boundary); 0 = one endless iteration");
    public static final SettingKey<ReferenceMode> REFERENCE_MODE = SettingKey.of(KEY + "reference-mode", ReferenceMode::parse,
            ReferenceMode.FIXED, "FIXED (initial model), REFRESH (copy at iteration boundaries) or TR_DPO (soft mixing)");
    public static final SettingKey<Long> CHECKPOINT_STEPS = SettingKey.ofLong(KEY + "checkpoint-steps", 50L,
            "checkpoint after this many optimizer steps since the last one");
    public static final SettingKey<Long> CHECKPOINT_SECONDS = SettingKey.ofLong(KEY + "checkpoint-seconds", 300L,
            "... or after this many seconds (when at least one step ran)");
    public static final SettingKey<Integer> KEEP_CHECKPOINTS = SettingKey.ofInt(KEY + "keep-checkpoints", 5,
            "finished checkpoints kept locally (>= 2)");
    public static final SettingKey<Double> HELD_OUT_FRACTION = SettingKey.ofDouble(KEY + "held-out-fraction", 0.02,
            "share of pairs held out for evaluation (never trained; the publisher evaluates on them)");
    public static final SettingKey<String> HELD_OUT_SALT = SettingKey.ofString(KEY + "held-out-salt", HeldOutSplit.DEFAULT_SALT,
            "salt of the held-out hash split (trainer and publisher must agree)").documentedDefault("built in");
    public static final SettingKey<Boolean> START_FROM_EARLIEST = SettingKey.ofBoolean(KEY + "start-from-earliest", true,
            "with no checkpoint: train the whole retained log (false: only new pairs)");
    public static final SettingKey<Long> STOP_AT_STEP = SettingKey.ofLong(KEY + "stop-at-step", 0L,
            "stop with a checkpoint once the optimizer step (counted from the initial model) reaches N; 0 = run until stopped")
            .alsoReadAs(KEY + "max-steps", "it is where training stops, not the learning-rate schedule's horizon (prefstream.dpo.decay-steps)");
    public static final SettingKey<Long> LEADER_SESSION_TIMEOUT_MS = SettingKey.ofLong(KEY + "leader-session-timeout-ms", 10_000L,
            "how long a dead leader keeps the lease before a standby takes over");
    public static final SettingKey<Integer> METRICS_PORT = SettingKey.ofInt(KEY + "metrics-port", -1,
            "Prometheus /metrics port; 0 = any free one, -1 = off").documentedDefault("-1 (the train command's --metrics-port: 9464)");
    public static final SettingKey<String> LEADER_INSTANCE_ID = SettingKey.ofString(KEY + "leader-instance-id", null,
            "static group membership id for the lease (e.g. the pod name): a restarted instance takes its lease back at once")
            .documentedDefault("none");
    public static final SettingKey<String> DEAD_LETTER_TOPIC = SettingKey.ofString(KEY + "dead-letter-topic", TopicLayout.PREFERENCE_PAIRS_DLQ,
            "where pair records the trainer cannot use go, with the reason");

    /** The keys this record owns, in documentation order. */
    public static final List<SettingKey<?>> KEYS = List.of(MODEL_NAME, INPUT_TOPIC, GROUP_ID, MICRO_BATCH_PAIRS, GRADIENT_ACCUMULATION,
            MAX_BATCH_WAIT_MS, ITERATION_STEPS, REFERENCE_MODE, CHECKPOINT_STEPS, CHECKPOINT_SECONDS, KEEP_CHECKPOINTS,
            HELD_OUT_FRACTION, HELD_OUT_SALT, START_FROM_EARLIEST, STOP_AT_STEP, LEADER_SESSION_TIMEOUT_MS, METRICS_PORT,
            LEADER_INSTANCE_ID, DEAD_LETTER_TOPIC);

    /** Defaults (the keys' defaults) for a model writing checkpoints under {@code checkpointsDir}. */
    public static StreamingTrainerConfig defaults(String modelName, Path checkpointsDir) {
        return new StreamingTrainerConfig(modelName, INPUT_TOPIC.defaultValue(), "prefstream-trainer." + modelName, checkpointsDir,
                MICRO_BATCH_PAIRS.defaultValue(), GRADIENT_ACCUMULATION.defaultValue(), Duration.ofMillis(MAX_BATCH_WAIT_MS.defaultValue()),
                ITERATION_STEPS.defaultValue(), REFERENCE_MODE.defaultValue(), CHECKPOINT_STEPS.defaultValue(),
                Duration.ofSeconds(CHECKPOINT_SECONDS.defaultValue()), KEEP_CHECKPOINTS.defaultValue(), HELD_OUT_FRACTION.defaultValue(),
                HELD_OUT_SALT.defaultValue(), START_FROM_EARLIEST.defaultValue(), STOP_AT_STEP.defaultValue(), -1, true,
                Duration.ofMillis(LEADER_SESSION_TIMEOUT_MS.defaultValue()), METRICS_PORT.defaultValue(), LEADER_INSTANCE_ID.defaultValue(),
                DEAD_LETTER_TOPIC.defaultValue());
    }

    /**
     * This config with every {@code prefstream.trainer.*} key of {@code p} applied (read by {@link TrainerSettings#REGISTRY}:
     * unknown keys are an error, deprecated names warn).
     */
    public StreamingTrainerConfig withProperties(Properties p) {
        return withSettings(TrainerSettings.REGISTRY.read(p));
    }

    /** This config with the given settings applied (the others keep this config's values). */
    public StreamingTrainerConfig withSettings(Settings s) {
        StreamingTrainerConfig c = s.get(MODEL_NAME).map(this::withModelName).orElse(this);
        return c.with(b -> {
            b.inputTopic = s.get(INPUT_TOPIC, b.inputTopic);
            b.groupId = s.get(GROUP_ID, b.groupId);
            b.microBatchPairs = s.get(MICRO_BATCH_PAIRS, b.microBatchPairs);
            b.gradientAccumulation = s.get(GRADIENT_ACCUMULATION, b.gradientAccumulation);
            b.maxBatchWait = s.get(MAX_BATCH_WAIT_MS).map(Duration::ofMillis).orElse(b.maxBatchWait);
            b.iterationSteps = s.get(ITERATION_STEPS, b.iterationSteps);
            b.referenceMode = s.get(REFERENCE_MODE, b.referenceMode);
            b.checkpointEverySteps = s.get(CHECKPOINT_STEPS, b.checkpointEverySteps);
            b.checkpointEvery = s.get(CHECKPOINT_SECONDS).map(Duration::ofSeconds).orElse(b.checkpointEvery);
            b.keepCheckpoints = s.get(KEEP_CHECKPOINTS, b.keepCheckpoints);
            b.heldOutFraction = s.get(HELD_OUT_FRACTION, b.heldOutFraction);
            b.heldOutSalt = s.get(HELD_OUT_SALT, b.heldOutSalt);
            b.startFromEarliest = s.get(START_FROM_EARLIEST, b.startFromEarliest);
            b.stopAtStep = s.get(STOP_AT_STEP, b.stopAtStep);
            b.leaderSessionTimeout = s.get(LEADER_SESSION_TIMEOUT_MS).map(Duration::ofMillis).orElse(b.leaderSessionTimeout);
            b.metricsPort = s.get(METRICS_PORT, b.metricsPort);
            b.leaderInstanceId = s.get(LEADER_INSTANCE_ID).map(v -> v.isEmpty() ? null : v).orElse(b.leaderInstanceId);
            b.deadLetterTopic = s.get(DEAD_LETTER_TOPIC, b.deadLetterTopic);
        });
    }

    /** Copy with another model name (the group id follows when it was the default one). */
    public StreamingTrainerConfig withModelName(String name) {
        boolean defaultGroup = groupId.equals("prefstream-trainer." + modelName);
        return with(b -> {
            b.modelName = name;
            if (defaultGroup) {
                b.groupId = "prefstream-trainer." + name;
            }
        });
    }

    /** Copy with changes applied to a mutable builder (validation runs on the result). */
    public StreamingTrainerConfig with(java.util.function.Consumer<Builder> change) {
        Builder b = new Builder(this);
        change.accept(b);
        return b.build();
    }

    /** Mutable copy of every field, for {@link #with}. */
    public static final class Builder {
        public String modelName;
        public String inputTopic;
        public String groupId;
        public Path checkpointsDir;
        public int microBatchPairs;
        public int gradientAccumulation;
        public Duration maxBatchWait;
        public long iterationSteps;
        public ReferenceMode referenceMode;
        public long checkpointEverySteps;
        public Duration checkpointEvery;
        public int keepCheckpoints;
        public double heldOutFraction;
        public String heldOutSalt;
        public boolean startFromEarliest;
        public long stopAtStep;
        public long stopAtTimestampMs;
        public boolean leaderElection;
        public Duration leaderSessionTimeout;
        public int metricsPort;
        public String leaderInstanceId;
        public String deadLetterTopic;

        Builder(StreamingTrainerConfig c) {
            modelName = c.modelName;
            inputTopic = c.inputTopic;
            groupId = c.groupId;
            checkpointsDir = c.checkpointsDir;
            microBatchPairs = c.microBatchPairs;
            gradientAccumulation = c.gradientAccumulation;
            maxBatchWait = c.maxBatchWait;
            iterationSteps = c.iterationSteps;
            referenceMode = c.referenceMode;
            checkpointEverySteps = c.checkpointEverySteps;
            checkpointEvery = c.checkpointEvery;
            keepCheckpoints = c.keepCheckpoints;
            heldOutFraction = c.heldOutFraction;
            heldOutSalt = c.heldOutSalt;
            startFromEarliest = c.startFromEarliest;
            stopAtStep = c.stopAtStep;
            stopAtTimestampMs = c.stopAtTimestampMs;
            leaderElection = c.leaderElection;
            leaderSessionTimeout = c.leaderSessionTimeout;
            metricsPort = c.metricsPort;
            leaderInstanceId = c.leaderInstanceId;
            deadLetterTopic = c.deadLetterTopic;
        }

        StreamingTrainerConfig build() {
            return new StreamingTrainerConfig(modelName, inputTopic, groupId, checkpointsDir, microBatchPairs, gradientAccumulation,
                    maxBatchWait, iterationSteps, referenceMode, checkpointEverySteps, checkpointEvery, keepCheckpoints,
                    heldOutFraction, heldOutSalt, startFromEarliest, stopAtStep, stopAtTimestampMs, leaderElection,
                    leaderSessionTimeout, metricsPort, leaderInstanceId, deadLetterTopic);
        }
    }
}
