package dev.prefstream.cli.demo;

import dev.prefstream.trainer.lora.LoraConfig;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Everything a demo run is made of. {@link #defaults} is what {@code prefstream demo} runs; the test shrinks it.
 *
 * @param dataDir              data directory (broker log, base policy, checkpoints, store, report)
 * @param duration             how long feedback streams (after the base policy and the services are up)
 * @param fresh                start over: delete this demo's broker data, checkpoints and report first (the cached base policy is kept)
 * @param base                 how the base policy is made
 * @param simulator            how the chat simulator behaves
 * @param evaluation           how policies are measured on held-out prompts
 * @param learningRate         DPO learning rate
 * @param beta                 DPO beta
 * @param sftWeight            weight of an NLL term on the chosen answers added to the DPO loss (RPO's alpha); 0 = plain DPO
 * @param pairsPerOptimizerStep         pairs per optimizer step
 * @param checkpointEverySteps checkpoint after this many steps
 * @param checkpointEvery      ... or after this much time with at least one step
 * @param heldOutFraction      share of pairs held out for the publisher's evaluation (never trained)
 * @param gateTolerance        the gate promotes a candidate at most this much less accurate (held out) than the best promoted
 * @param modelName            the model's name on the registry
 * @param sideBySide           held-out prompts shown answered by base and final policy
 * @param lora                 LoRA adapters to train instead of the whole model (rank 0: full fine-tuning)
 */
public record DemoSettings(Path dataDir, Duration duration, boolean fresh, BasePolicy.Settings base,
                           SimulatorConfig simulator, JudgeEvaluator.Settings evaluation, double learningRate,
                           double beta, double sftWeight, int pairsPerOptimizerStep, long checkpointEverySteps, Duration checkpointEvery,
                           double heldOutFraction, double gateTolerance, String modelName, int sideBySide,
                           LoraConfig lora) {

    public DemoSettings {
        Objects.requireNonNull(dataDir, "dataDir");
        Objects.requireNonNull(base, "base");
        Objects.requireNonNull(simulator, "simulator");
        Objects.requireNonNull(evaluation, "evaluation");
        lora = lora == null ? LoraConfig.none() : lora;
        if (duration == null || duration.toMillis() < 1000) {
            throw new IllegalArgumentException("the demo needs to run at least a second, got " + duration);
        }
        if (!(learningRate > 0) || !(beta > 0)) {
            throw new IllegalArgumentException("learning rate and beta must be > 0");
        }
        if (!(sftWeight >= 0)) {
            throw new IllegalArgumentException("sftWeight must be >= 0");
        }
        if (pairsPerOptimizerStep < 1 || checkpointEverySteps < 1) {
            throw new IllegalArgumentException("pairsPerOptimizerStep and checkpointEverySteps must be >= 1");
        }
        if (!(heldOutFraction > 0 && heldOutFraction <= 0.5)) {
            throw new IllegalArgumentException("heldOutFraction must be in (0, 0.5], got " + heldOutFraction);
        }
        if (!(gateTolerance >= 0)) {
            throw new IllegalArgumentException("gateTolerance must be >= 0");
        }
    }

    /** {@code prefstream demo}'s defaults for a data directory and a duration. */
    public static DemoSettings defaults(Path dataDir, Duration duration, boolean fresh) {
        return new DemoSettings(dataDir, duration, fresh, BasePolicy.Settings.defaults(), SimulatorConfig.defaults(),
                new JudgeEvaluator.Settings(4, 1.0, 14, 2024L), 2e-4, 0.1, 0.5, 8, 20, Duration.ofSeconds(40), 0.15, 0.1,
                "demo-tiny", 8, LoraConfig.none());
    }

    /** Copy with another base-policy recipe. */
    public DemoSettings withBase(BasePolicy.Settings b) {
        return new DemoSettings(dataDir, duration, fresh, b, simulator, evaluation, learningRate, beta, sftWeight, pairsPerOptimizerStep,
                checkpointEverySteps, checkpointEvery, heldOutFraction, gateTolerance, modelName, sideBySide, lora);
    }

    /** Copy with another checkpoint cadence. */
    public DemoSettings withCheckpoints(long everySteps, Duration every) {
        return new DemoSettings(dataDir, duration, fresh, base, simulator, evaluation, learningRate, beta, sftWeight, pairsPerOptimizerStep,
                everySteps, every, heldOutFraction, gateTolerance, modelName, sideBySide, lora);
    }

    /** Copy with another simulator. */
    public DemoSettings withSimulator(SimulatorConfig s) {
        return new DemoSettings(dataDir, duration, fresh, base, s, evaluation, learningRate, beta, sftWeight, pairsPerOptimizerStep,
                checkpointEverySteps, checkpointEvery, heldOutFraction, gateTolerance, modelName, sideBySide, lora);
    }

    /** Copy with another weight of the NLL term on chosen answers. */
    public DemoSettings withSftWeight(double w) {
        return new DemoSettings(dataDir, duration, fresh, base, simulator, evaluation, learningRate, beta, w, pairsPerOptimizerStep,
                checkpointEverySteps, checkpointEvery, heldOutFraction, gateTolerance, modelName, sideBySide, lora);
    }

    /** Copy with other DPO hyperparameters. */
    public DemoSettings withDpo(double lr, double b, int pairs) {
        return new DemoSettings(dataDir, duration, fresh, base, simulator, evaluation, lr, b, sftWeight, pairs,
                checkpointEverySteps, checkpointEvery, heldOutFraction, gateTolerance, modelName, sideBySide, lora);
    }

    /** Copy training LoRA adapters with these settings. */
    public DemoSettings withLora(LoraConfig l) {
        return new DemoSettings(dataDir, duration, fresh, base, simulator, evaluation, learningRate, beta, sftWeight, pairsPerOptimizerStep,
                checkpointEverySteps, checkpointEvery, heldOutFraction, gateTolerance, modelName, sideBySide, l);
    }

    public Path kafkaDir() {
        return dataDir.resolve("kafka");
    }

    public Path basePolicyDir() {
        return dataDir.resolve("base-policy");
    }

    public Path checkpointsDir() {
        return dataDir.resolve("checkpoints");
    }

    public Path storeDir() {
        return dataDir.resolve("store");
    }

    public Path followerCacheDir() {
        return dataDir.resolve("follower-cache");
    }

    public Path streamsStateDir() {
        return dataDir.resolve("ingest-state");
    }

    /** Steps and checkpoints of the runs so far in this data directory. */
    public Path historyFile() {
        return dataDir.resolve("demo-history.json");
    }

    public Path reportDir() {
        return dataDir.resolve("report");
    }
}
