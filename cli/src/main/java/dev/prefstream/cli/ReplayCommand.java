package dev.prefstream.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.trainer.dpo.DpoTrainer;
import dev.prefstream.trainer.dpo.Precision;
import dev.prefstream.trainer.dpo.RestoreOptions;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.stream.DpoPairTrainer;
import dev.prefstream.trainer.stream.ModelSource;
import dev.prefstream.trainer.stream.Replay;
import dev.prefstream.trainer.stream.StartPositions;
import dev.prefstream.trainer.stream.StreamingTrainer;
import dev.prefstream.trainer.stream.StreamingTrainerConfig;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.concurrent.Callable;

/**
 * {@code prefstream replay}: retrain from a chosen point of the pair log, starting from a chosen checkpoint, into
 * another directory, with its own consumer (no group membership, no leader lease): the live trainer is not
 * disturbed. Stops at {@code --to-timestamp} or {@code --max-steps}; without either it follows the log until stopped.
 *
 * <p>Hyperparameters: from a checkpoint, the run continues with the checkpoint's saved settings, except the
 * {@code prefstream.dpo.*} keys of {@code --config} (and {@code prefstream.trainer.micro-batch-pairs},
 * {@code gradient-accumulation}, {@code reference-mode}), which replace them: that is how a replay retrains "after a
 * hyperparameter change". The changes are listed in the replay's manifests ({@code hyperparameter_overrides}) and
 * trainer state. AdamW's moments continue unless {@code --fresh-optimizer}; the LR schedule is indexed by the global
 * step (see {@code RestoreOptions}). The precision and the model cannot change on a checkpoint (a clear error says
 * so); start from {@code --initial DIR} to convert.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
        description = "Retrain from a point of the pair log (timestamp or offsets), starting from a checkpoint, into --out.")
final class ReplayCommand implements Callable<Integer> {

    @Mixin
    KafkaOptions kafkaOptions;

    @Option(names = "--model", required = true, paramLabel = "NAME", description = "Model name (recorded in the replay's manifests).")
    String modelName;

    static final class From {
        @Option(names = "--from-timestamp", paramLabel = "T", description = "Start at the first pair at or after T (ISO-8601 or epoch ms).")
        String timestamp;

        @Option(names = "--from-offsets", paramLabel = "FILE", description = "Start at these offsets (a manifest.json, or {\"0\": 123, ...}).")
        Path offsets;
    }

    @ArgGroup(exclusive = true, multiplicity = "1")
    From from;

    @Option(names = "--to-timestamp", paramLabel = "T", description = "Train only pairs up to T, then stop with a checkpoint.")
    String toTimestamp;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Checkpoints directory of the replay (resumed if it has one).")
    Path out;

    @Option(names = "--checkpoint", paramLabel = "DIR", description = "Checkpoint directory to start from (verified).")
    Path checkpoint;

    @Option(names = "--initial", paramLabel = "DIR|PRESET", description = "Start from this initial model instead of a checkpoint.")
    String initial;

    @Option(names = "--pairs-topic", defaultValue = TopicLayout.PREFERENCE_PAIRS, paramLabel = "TOPIC", description = "Default: ${DEFAULT-VALUE}.")
    String pairsTopic;

    @Option(names = "--checkpoint-steps", paramLabel = "N", description = "Checkpoint every N steps (default 50).")
    Long checkpointSteps;

    @Option(names = "--max-steps", defaultValue = "0", paramLabel = "N", description = "Stop after reaching this step (0: no limit).")
    long maxSteps;

    @Option(names = "--seed", defaultValue = "42", paramLabel = "N", description = "Seed of a preset --initial model (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--precision", paramLabel = "fp32|fp16", converter = PrecisionConverter.class,
            description = "Training precision (default: prefstream.dpo.precision, else the checkpoint's, else fp32); fp16 is GPU only "
                    + "and cannot differ from a --checkpoint's.")
    Precision precision;

    @Mixin
    LoraOptions loraOptions;

    @Option(names = "--gradient-checkpointing",
            description = "Recompute each decoder block in backward instead of keeping its activations: about a third more "
                    + "compute, activation memory of one block, same gradients (default: prefstream.trainer.gradient-checkpointing, else off).")
    boolean gradientCheckpointing;

    @Option(names = "--fresh-optimizer", description = "Start AdamW from zero moments instead of the checkpoint's (weights and step are kept).")
    boolean freshOptimizer;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if ((checkpoint == null) == (initial == null)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give exactly one of --checkpoint DIR or --initial DIR|PRESET to start from");
        }
        SplitClientConfig cfg = SplitClientConfig.of(kafkaOptions);
        Optional<VerifiedCheckpoint> start = checkpoint == null ? Optional.empty() : Optional.of(CheckpointReader.verify(checkpoint).orThrow());
        long stopAt = toTimestamp == null ? -1 : TimestampArgument.parseMillis("--to-timestamp", toTimestamp);
        TrainingAssembly assembly = cfg.assembly();
        StreamingTrainerConfig config = kafkaOptions.fromConfigFile(() -> assembly.streaming(modelName, out)).with(b -> {
            b.inputTopic = pairsTopic;
            b.stopAtTimestampMs = stopAt;
            b.stopAtStep = maxSteps;
            if (checkpointSteps != null) {
                b.checkpointEverySteps = checkpointSteps;
            }
        });
        StartPositions positions = from.timestamp != null
                ? StartPositions.fromTimestamp(TimestampArgument.parseMillis("--from-timestamp", from.timestamp))
                : StartPositions.explicit(OffsetsFile.read(from.offsets, pairsTopic));
        // a checkpoint carries its own model and trainer config (the --config keys change the latter); the initial
        // source is only used without one
        ModelSource source = initial != null ? ModelSource.parse(initial, seed) : new ModelSource(null, "tiny", seed);
        TrainingAssembly.CoreOptions options = new TrainingAssembly.CoreOptions(precision, gradientCheckpointing, loraOptions::apply);
        UnaryOperator<TrainerConfig> withSettings = assembly.core(options);
        Device device = Engine.getInstance().defaultDevice();
        TrainerConfig dpo = kafkaOptions.fromConfigFile(() -> assembly.freshCore(options));
        if (start.isEmpty() || assembly.choosesPrecision(options)) {
            DpoTrainer.checkPrecisionSupported(dpo.precision(), device); // one clear line before anything connects or loads
        }
        kafkaOptions.requireReachable();
        StreamingTrainer replay = Replay.create(config, cfg.kafka(), DpoPairTrainer.replayFactory(source, dpo, config, device, withSettings,
                freshOptimizer ? RestoreOptions.OptimizerState.FRESH : RestoreOptions.OptimizerState.RESTORED), start, positions);
        Runtime.getRuntime().addShutdownHook(new Thread(replay::stop, "prefstream-replay-shutdown"));
        if (stopAt < 0 && maxSteps == 0) {
            System.out.println("prefstream replay: no --to-timestamp or --max-steps; it follows the log until stopped (Ctrl-C)");
        }
        StreamingTrainer.Outcome outcome = replay.run();
        System.out.println("prefstream replay: " + outcome + replay.lastCheckpoint().map(cp -> ", last checkpoint " + cp.dir()).orElse(", nothing trained"));
        return 0;
    }
}
