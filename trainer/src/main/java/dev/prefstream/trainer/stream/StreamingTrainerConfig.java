package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.split.HeldOutSplit;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.trainer.dpo.ReferenceMode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Pattern;

/**
 * Settings of the streaming trainer service (the DPO hyperparameters themselves live in the trainer core's config).
 * Every key can also be given in the {@code --config} properties file as {@code prefstream.trainer.<key>}.
 *
 * @param modelName             logical model name: model-registry key, checkpoint manifests, consumer group suffix
 * @param inputTopic            the pairs topic to learn from (preference-pairs, or a reprocessed copy)
 * @param groupId               consumer group the trainer commits its checkpointed offsets to (lag monitoring only)
 * @param checkpointsDir        local checkpoints root ({@code --out})
 * @param pairsPerStep          pairs per micro-batch
 * @param gradientAccumulation  micro-batches per optimizer step; one step trains pairsPerStep x this many pairs
 * @param maxBatchWait          longest wait before a smaller batch is trained (so a trickle still trains)
 * @param iterationSteps        optimizer steps per iterative-DPO iteration (the reference is refreshed at each boundary); 0 = one endless iteration
 * @param referenceMode         FIXED (initial model), REFRESH (hard copy at boundaries) or TR_DPO (soft mixing)
 * @param checkpointEverySteps  take a checkpoint after this many steps since the last one
 * @param checkpointEvery       ... or when this much time passed since the last one (and at least one step ran)
 * @param keepCheckpoints       finished checkpoints kept locally (>= 2)
 * @param heldOutFraction       share of pairs held out for evaluation (never trained)
 * @param heldOutSalt           salt of the held-out hash split (trainer and publisher must agree)
 * @param startFromEarliest     with no checkpoint: true = train the whole retained log, false = only new pairs
 * @param maxSteps              stop (with a checkpoint) after this many steps in this run; 0 = run until stopped
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
        int pairsPerStep,
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
        long maxSteps,
        long stopAtTimestampMs,
        boolean leaderElection,
        Duration leaderSessionTimeout,
        int metricsPort,
        String leaderInstanceId,
        String deadLetterTopic) {

    /** Prefix of this config's keys in a properties file. */
    public static final String PREFIX = "prefstream.trainer.";

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
        require(pairsPerStep >= 1, "pairsPerStep must be >= 1, got " + pairsPerStep);
        require(gradientAccumulation >= 1, "gradientAccumulation must be >= 1, got " + gradientAccumulation);
        require(maxBatchWait != null && !maxBatchWait.isNegative(), "maxBatchWait must be >= 0");
        require(iterationSteps >= 0, "iterationSteps must be >= 0, got " + iterationSteps);
        require(checkpointEverySteps >= 1, "checkpointEverySteps must be >= 1, got " + checkpointEverySteps);
        require(checkpointEvery != null && checkpointEvery.toMillis() >= 1, "checkpointEvery must be positive");
        require(keepCheckpoints >= 2, "keepCheckpoints must be >= 2 (a damaged newest checkpoint needs a fallback), got " + keepCheckpoints);
        require(heldOutFraction >= 0 && heldOutFraction <= 0.5, "heldOutFraction must be in [0, 0.5], got " + heldOutFraction);
        require(heldOutSalt != null && !heldOutSalt.isEmpty(), "heldOutSalt must not be empty");
        require(maxSteps >= 0, "maxSteps must be >= 0, got " + maxSteps);
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

    /** Pairs trained per optimizer step. */
    public int batchPairs() {
        return pairsPerStep * gradientAccumulation;
    }

    /** Defaults for a model writing checkpoints under {@code checkpointsDir}. */
    public static StreamingTrainerConfig defaults(String modelName, Path checkpointsDir) {
        return new StreamingTrainerConfig(modelName, TopicLayout.PREFERENCE_PAIRS, "prefstream-trainer." + modelName, checkpointsDir,
                8, 1, Duration.ofSeconds(10), 100, ReferenceMode.FIXED, 50, Duration.ofMinutes(5), 5,
                0.02, HeldOutSplit.DEFAULT_SALT, true, 0, -1, true, Duration.ofSeconds(10), -1, null,
                TopicLayout.PREFERENCE_PAIRS_DLQ);
    }

    /** This config with every {@code prefstream.trainer.*} key of {@code p} applied (unknown keys are an error). */
    public StreamingTrainerConfig withProperties(Properties p) {
        StreamingTrainerConfig c = this;
        for (String key : p.stringPropertyNames()) {
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            String v = p.getProperty(key).trim();
            String k = key.substring(PREFIX.length());
            try {
                c = switch (k) {
                    case "model-name" -> c.withModelName(v);
                    case "input-topic" -> c.with(b -> b.inputTopic = v);
                    case "group-id" -> c.with(b -> b.groupId = v);
                    case "pairs-per-step" -> c.with(b -> b.pairsPerStep = Integer.parseInt(v));
                    case "gradient-accumulation" -> c.with(b -> b.gradientAccumulation = Integer.parseInt(v));
                    case "max-batch-wait-ms" -> c.with(b -> b.maxBatchWait = Duration.ofMillis(Long.parseLong(v)));
                    case "iteration-steps" -> c.with(b -> b.iterationSteps = Long.parseLong(v));
                    case "reference-mode" -> c.with(b -> b.referenceMode = ReferenceMode.parse(v));
                    case "checkpoint-steps" -> c.with(b -> b.checkpointEverySteps = Long.parseLong(v));
                    case "checkpoint-seconds" -> c.with(b -> b.checkpointEvery = Duration.ofSeconds(Long.parseLong(v)));
                    case "keep-checkpoints" -> c.with(b -> b.keepCheckpoints = Integer.parseInt(v));
                    case "held-out-fraction" -> c.with(b -> b.heldOutFraction = Double.parseDouble(v));
                    case "held-out-salt" -> c.with(b -> b.heldOutSalt = v);
                    case "start-from-earliest" -> c.with(b -> b.startFromEarliest = Boolean.parseBoolean(v));
                    case "max-steps" -> c.with(b -> b.maxSteps = Long.parseLong(v));
                    case "leader-session-timeout-ms" -> c.with(b -> b.leaderSessionTimeout = Duration.ofMillis(Long.parseLong(v)));
                    case "metrics-port" -> c.with(b -> b.metricsPort = Integer.parseInt(v));
                    case "leader-instance-id" -> c.with(b -> b.leaderInstanceId = v.isEmpty() ? null : v);
                    case "dead-letter-topic" -> c.with(b -> b.deadLetterTopic = v);
                    case "lora-rank", "lora-alpha", "lora-dropout", "lora-targets" -> c;   // LoraSettings: trainer core
                    default -> throw new IllegalArgumentException("unknown trainer setting '" + key + "'");
                };
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("setting " + key + "=" + v + " is not a number", e);
            }
        }
        return c;
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
        public int pairsPerStep;
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
        public long maxSteps;
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
            pairsPerStep = c.pairsPerStep;
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
            maxSteps = c.maxSteps;
            stopAtTimestampMs = c.stopAtTimestampMs;
            leaderElection = c.leaderElection;
            leaderSessionTimeout = c.leaderSessionTimeout;
            metricsPort = c.metricsPort;
            leaderInstanceId = c.leaderInstanceId;
            deadLetterTopic = c.deadLetterTopic;
        }

        StreamingTrainerConfig build() {
            return new StreamingTrainerConfig(modelName, inputTopic, groupId, checkpointsDir, pairsPerStep, gradientAccumulation,
                    maxBatchWait, iterationSteps, referenceMode, checkpointEverySteps, checkpointEvery, keepCheckpoints,
                    heldOutFraction, heldOutSalt, startFromEarliest, maxSteps, stopAtTimestampMs, leaderElection,
                    leaderSessionTimeout, metricsPort, leaderInstanceId, deadLetterTopic);
        }
    }
}
