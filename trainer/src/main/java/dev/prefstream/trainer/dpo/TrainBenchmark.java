package dev.prefstream.trainer.dpo;

import ai.djl.Device;
import dev.prefstream.trainer.lora.LoraConfig;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.tokenizer.TextTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Throughput of DPO training steps on synthetic pairs whose rows are exactly {@code seqLen} tokens (prompt cut to
 * half, responses filling the rest), for {@code prefstream bench train}. FLOPs are counted as
 * {@code (6 policy forward+backward + 2 reference forward) x parameters x tokens}, tokens being all non-padding
 * tokens of the chosen and rejected rows.
 */
public final class TrainBenchmark {

    private static final Logger LOG = LoggerFactory.getLogger(TrainBenchmark.class);
    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyz";

    /**
     * @param device     where it ran
     * @param params     trainable parameters of the policy
     * @param tokensPerS chosen+rejected tokens per second (measured steps only)
     * @param msPerStep  mean wall time of a measured step
     * @param modelTflops achieved model TFLOP/s by the 8 x params x tokens count
     * @param steps      measured steps
     * @param warmup     unmeasured warmup steps before them
     * @param precision  fp32 or fp16 mixed precision
     * @param pairsPerStep pairs in each step (2 x this rows)
     * @param seqLen     tokens per row
     * @param gradientCheckpointing whether the blocks were recomputed in backward
     * @param peakRssMb  the process's peak resident set (VmHWM) at the end, MiB, model loading included; -1 where
     *                   /proc is not readable. On a GPU this is host memory only: DJL 0.35.1 exposes no peak of
     *                   libtorch's device allocator
     * @param accumulation micro-batches per optimizer step
     * @param setupS     seconds to set the trainer up before the first step: the reference (a frozen copy of the
     *                   model, or with LoRA the adapters) and the optimizer state
     * @param phases     mean milliseconds per measured step by phase ({@link StepPhases})
     * @param placement  where the frozen reference's weights were kept
     */
    public record Result(String device, long params, double tokensPerS, double msPerStep, double modelTflops,
                         int steps, int warmup, Precision precision, int pairsPerStep, int seqLen,
                         boolean gradientCheckpointing, long peakRssMb, double setupS, int accumulation,
                         StepPhases phases, ReferencePlacement placement) {

        /** The one-line JSON the CLI prints last, without the model's load time. */
        public String toJson() {
            return toJson(-1);
        }

        /** The one-line JSON the CLI prints last; {@code loadS} (seconds to load or draw the model) when >= 0. */
        public String toJson(double loadS) {
            return String.format(java.util.Locale.ROOT,
                    "{\"device\":\"%s\",\"params\":%d,\"tokens_per_s\":%.1f,\"ms_per_step\":%.2f,\"model_tflops\":%.6f,"
                            + "\"precision\":\"%s\",\"pairs_per_step\":%d,\"seq\":%d,\"gradient_checkpointing\":%b,"
                            + "\"peak_rss_mb\":%d%s,\"setup_s\":%.2f,\"gradient_accumulation\":%d,\"reference_ms\":%.1f,"
                            + "\"forward_ms\":%.1f,\"backward_ms\":%.1f,\"optimizer_ms\":%.1f,\"reference_placement\":\"%s\"}",
                    device, params, tokensPerS, msPerStep, modelTflops,
                    precision.name().toLowerCase(java.util.Locale.ROOT), pairsPerStep, seqLen, gradientCheckpointing,
                    peakRssMb, loadS >= 0 ? String.format(java.util.Locale.ROOT, ",\"load_s\":%.2f", loadS) : "",
                    setupS, accumulation, phases.referenceMs(), phases.forwardMs(), phases.backwardMs(),
                    phases.optimizerMs(), placement.name().toLowerCase(java.util.Locale.ROOT));
        }
    }

    /** VmHWM of this process in MiB, or -1 when /proc/self/status cannot be read (not Linux). */
    public static long peakRssMb() {
        try {
            for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (java.io.IOException | RuntimeException e) {
            LOG.debug("no peak RSS: {}", e.toString());
        }
        return -1;
    }

    private TrainBenchmark() {
    }

    /**
     * Runs {@code warmup + steps} DPO steps (sigmoid loss, frozen-copy reference) and measures the last
     * {@code steps}. Consumes {@code model} and {@code tokenizer} (closed at the end).
     */
    public static Result run(DecoderModel model, TextTokenizer tokenizer, int pairsPerStep, int seqLen, int steps,
                             int warmup) {
        return run(model, tokenizer, pairsPerStep, seqLen, steps, warmup, Precision.FP32);
    }

    /**
     * Same, in the given precision: for FP16 (GPU only) a float32 {@code model} is converted to float16 first (and
     * the float32 copy closed).
     */
    public static Result run(DecoderModel model, TextTokenizer tokenizer, int pairsPerStep, int seqLen, int steps,
                             int warmup, Precision precision) {
        return run(model, tokenizer, pairsPerStep, seqLen, steps, warmup, precision, false, LoraConfig.none());
    }

    /**
     * Same, with or without gradient checkpointing, training LoRA adapters when {@code lora} has a rank (the base
     * frozen, the reference = adapters off); {@link Result#params} then counts the trainable adapter scalars.
     */
    public static Result run(DecoderModel model, TextTokenizer tokenizer, int pairsPerStep, int seqLen, int steps,
                             int warmup, Precision precision, boolean gradientCheckpointing, LoraConfig lora) {
        return run(model, tokenizer, pairsPerStep, seqLen, steps, warmup, precision, gradientCheckpointing, lora, 1);
    }

    /**
     * Same, with each step's pairs split into {@code accumulation} micro-batches (gradient accumulation: the same
     * optimizer step, activations of a micro-batch at a time).
     */
    public static Result run(DecoderModel model, TextTokenizer tokenizer, int pairsPerStep, int seqLen, int steps,
                             int warmup, Precision precision, boolean gradientCheckpointing, LoraConfig lora,
                             int accumulation) {
        return run(model, tokenizer, pairsPerStep, seqLen, steps, warmup, precision, gradientCheckpointing, lora,
                accumulation, ReferencePlacement.DEVICE);
    }

    /** Same, with the frozen reference's weights kept per {@code placement} (full fine-tuning). */
    public static Result run(DecoderModel model, TextTokenizer tokenizer, int pairsPerStep, int seqLen, int steps,
                             int warmup, Precision precision, boolean gradientCheckpointing, LoraConfig lora,
                             int accumulation, ReferencePlacement placement) {
        if (model.dtype() != precision.weightType()) {
            DecoderModel converted;
            try {
                converted = model.toDtype(precision.weightType());
            } finally {
                model.close();
            }
            model = converted;
        }
        if (seqLen < 4) {
            throw new IllegalArgumentException("sequence length must be >= 4, got " + seqLen);
        }
        if (steps < 1 || warmup < 0 || pairsPerStep < 1) {
            throw new IllegalArgumentException("need steps >= 1, warmup >= 0, pairs per step >= 1");
        }
        if (seqLen > model.config().maxPositions()) {
            throw new IllegalArgumentException("sequence length " + seqLen + " exceeds the model's "
                    + model.config().maxPositions() + " positions");
        }
        long params = model.parameterCount();
        long modelParams = params;   // FLOPs are counted on the whole model, also when only adapters train
        Device device = model.parameters().values().iterator().next().getDevice();
        TrainerConfig config = TrainerConfig.builder().learningRate(1e-5).pairsPerOptimizerStep(pairsPerStep)
                .gradientAccumulation(accumulation)
                .maxLength(seqLen).maxPromptLength(seqLen / 2).truncation(TruncationMode.KEEP_START)
                .precision(precision).gradientCheckpointing(gradientCheckpointing).lora(lora)
                .referencePlacement(placement).build();
        Random random = new Random(1234);
        long setupStart = System.nanoTime();
        try (DpoTrainer trainer = DpoTrainer.create(model, tokenizer, config)) {
            double setupS = (System.nanoTime() - setupStart) / 1e9;
            if (lora.enabled()) {
                params = trainer.policy().parameters().values().stream().mapToLong(ai.djl.ndarray.NDArray::size).sum();
                LOG.info("bench: LoRA {} on {} base parameters, {} trainable", lora.describe(), model.parameterCount(), params);
            }
            long tokens = 0;
            double millis = 0;
            StepPhases phases = StepPhases.NONE;
            for (int i = 0; i < warmup + steps; i++) {
                List<TextPair> batch = new ArrayList<>(pairsPerStep);
                for (int p = 0; p < pairsPerStep; p++) {
                    batch.add(TextPair.of(text(tokenizer, random, seqLen), text(tokenizer, random, seqLen),
                            text(tokenizer, random, seqLen)));
                }
                StepMetrics m = trainer.trainStep(batch);
                if (i >= warmup) {
                    tokens += m.tokens();
                    millis += m.millis();
                    phases = phases.plus(trainer.lastStepPhases());
                }
                LOG.info("bench step {}/{}: {} tokens in {} ms", i + 1, warmup + steps, m.tokens(),
                        String.format("%.1f", m.millis()));
            }
            double seconds = millis / 1000.0;
            double flops = 8.0 * modelParams * tokens;
            return new Result(device.toString(), params, tokens / seconds, millis / steps, flops / seconds / 1e12,
                    steps, warmup, precision, pairsPerStep, seqLen, gradientCheckpointing, peakRssMb(), setupS, accumulation,
                    phases.dividedBy(steps), placement);
        }
    }

    /** Random words with at least {@code minTokens} tokens (longer is cut by the collator's limits). */
    private static String text(TextTokenizer tokenizer, Random r, int minTokens) {
        StringBuilder sb = new StringBuilder();
        while (true) {
            for (int w = 0; w < 8; w++) {
                sb.append(' ');
                int len = 2 + r.nextInt(6);
                for (int c = 0; c < len; c++) {
                    sb.append(LETTERS.charAt(r.nextInt(LETTERS.length())));
                }
            }
            if (tokenizer.encode(sb.toString()).length >= minTokens) {
                return sb.toString();
            }
        }
    }
}
