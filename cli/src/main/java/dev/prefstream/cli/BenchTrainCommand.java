package dev.prefstream.cli;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.prefstream.trainer.dpo.DpoTrainer;
import dev.prefstream.trainer.dpo.Precision;
import dev.prefstream.trainer.dpo.ReferencePlacement;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.dpo.TrainBenchmark;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.ModelFormatException;
import dev.prefstream.trainer.model.ModelPresets;
import dev.prefstream.trainer.model.ShapePresets;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code prefstream bench train}: DPO training throughput on synthetic pairs. Prints progress, then as the LAST
 * line one JSON object {@code {"device","params","tokens_per_s","ms_per_step","model_tflops","precision",
 * "pairs_per_step","seq","gradient_checkpointing","peak_rss_mb","load_s","setup_s","gradient_accumulation"}} (load_s: loading or drawing the
 * model; setup_s: the trainer's reference copy and optimizer state; tokens
 * over the chosen and rejected rows; FLOPs = (6 policy + 2 reference) x params x tokens). {@code --precision fp16}
 * (GPU only) trains float16 weights with float32 masters and loss scaling; on the CPU it is refused in one line.
 */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = "Measure DPO training throughput (policy forward+backward and reference forward) on synthetic pairs.")
final class BenchTrainCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR|PRESET", defaultValue = ModelPresets.TINY,
            description = "A Hugging Face model directory, a built-in preset (tiny, tiny-gpt2) or a random-weight real "
                    + "shape (llama-19m, llama-58m, qwen2.5-0.5b-shape, qwen2.5-1.5b-shape) (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--pairs-per-step", paramLabel = "B", defaultValue = "8", description = "Pairs per optimizer step (default: ${DEFAULT-VALUE}).")
    int pairsPerOptimizerStep;

    /** Rows of 256 tokens unless the model has fewer positions (the fixtures' tiny models have 128). */
    static final int DEFAULT_SEQ = 256;

    @Option(names = "--seq", paramLabel = "T",
            description = "Tokens per row (prompt + response) (default: 256, or the model's positions if fewer).")
    Integer seq;

    @Option(names = "--steps", paramLabel = "N", defaultValue = "10", description = "Measured steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--warmup", paramLabel = "N", defaultValue = "2", description = "Unmeasured warmup steps first (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--seed", paramLabel = "S", defaultValue = "0", description = "Seed of a preset's random weights (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--precision", paramLabel = "fp32|fp16", defaultValue = "fp32", converter = PrecisionConverter.class,
            description = "fp32, or fp16 mixed precision (GPU only) (default: ${DEFAULT-VALUE}).")
    Precision precision;

    @Mixin
    LoraOptions loraOptions;

    @Option(names = "--gradient-accumulation", paramLabel = "N", defaultValue = "1",
            description = "Micro-batches per optimizer step: the step's pairs in N forward/backward passes, activations of one at a time (default: ${DEFAULT-VALUE}).")
    int gradientAccumulation;

    @Option(names = "--gradient-checkpointing",
            description = "Recompute each decoder block in backward instead of keeping its activations.")
    boolean gradientCheckpointing;

    @Option(names = "--reference-placement", paramLabel = "device|host", defaultValue = "device",
            converter = ReferencePlacementConverter.class,
            description = "Full fine-tuning: keep the frozen reference on the training device, or in host memory copied "
                    + "to the accelerator for each reference forward (the same on a CPU) (default: ${DEFAULT-VALUE}).")
    ReferencePlacement referencePlacement;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        Device device = Engine.getInstance().defaultDevice();
        try {
            DpoTrainer.checkPrecisionSupported(precision, device); // before loading anything
            // a directory loads straight into the precision's weight type; a preset is converted by the benchmark
            long loadStart = System.nanoTime();
            LoadedModel loaded = ModelPresets.isPreset(model)
                    ? ModelPresets.builtin(model, device, seed)
                    : ShapePresets.isShape(model) ? ShapePresets.random(model, device, seed)
                    : HfModelLoader.loadWithTokenizer(Path.of(model), device, precision.weightType());
            double loadS = (System.nanoTime() - loadStart) / 1e9;
            int seqLen = seq != null ? seq : Math.min(DEFAULT_SEQ, loaded.model().config().maxPositions());
            TrainBenchmark.Result r = TrainBenchmark.run(loaded.model(), loaded.tokenizer(), pairsPerOptimizerStep, seqLen,
                    steps, warmup, precision, gradientCheckpointing,
                    loraOptions.apply(TrainerConfig.defaults()).lora(), gradientAccumulation, referencePlacement);
            spec.commandLine().getOut().println(r.toJson(loadS));
            spec.commandLine().getOut().flush();
            return 0;
        } catch (ModelFormatException | IllegalArgumentException e) {
            spec.commandLine().getErr().println("prefstream bench train: " + e.getMessage());
            spec.commandLine().getErr().flush();
            return 2;
        }
    }
}
