package dev.prefstream.trainer.stream;

import dev.prefstream.trainer.dpo.DpoConfig;
import dev.prefstream.trainer.dpo.LossType;
import dev.prefstream.trainer.dpo.Precision;
import dev.prefstream.trainer.dpo.ReferencePlacement;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.dpo.TruncationMode;
import dev.prefstream.trainer.optim.LrSchedule;
import dev.prefstream.trainer.settings.SettingKey;
import dev.prefstream.trainer.settings.Settings;

import java.util.List;
import java.util.Properties;

/**
 * Owner of the trainer core's hyperparameter keys ({@code prefstream.dpo.*}, plus the memory switch
 * {@code prefstream.trainer.gradient-checkpointing}), which go into {@link TrainerConfig}; the defaults are
 * {@link TrainerConfig#defaults()}'s (TRL's where TRL has one). The core's batching and reference mode are not here:
 * the streaming config owns them ({@link StreamingTrainerConfig#applyTo}); LoRA is {@link LoraSettings}'.
 */
public final class DpoSettings {

    private static final String KEY = "prefstream.dpo.";
    private static final TrainerConfig D = TrainerConfig.defaults();

    public static final SettingKey<Double> LEARNING_RATE = SettingKey.ofDouble(KEY + "learning-rate", D.learningRate(),
            "peak AdamW learning rate (after warmup)");
    public static final SettingKey<Double> BETA = SettingKey.ofDouble(KEY + "beta", D.dpo().beta(),
            "DPO beta: strength of the pull towards the reference");
    public static final SettingKey<List<LossType>> LOSS = SettingKey.ofList(KEY + "loss", LossType::parse, D.dpo().lossTypes(),
            "comma list of TRL loss types, e.g. sigmoid,sft").documentedDefault("sigmoid");
    public static final SettingKey<List<Double>> LOSS_WEIGHTS = SettingKey.ofList(KEY + "loss-weights", DpoSettings::number, null,
            "comma list of weights, one per loss type").documentedDefault("1 each");
    public static final SettingKey<Double> LABEL_SMOOTHING = SettingKey.ofDouble(KEY + "label-smoothing", D.dpo().labelSmoothing(),
            "conservative DPO / EXO label smoothing");
    public static final SettingKey<Integer> MAX_LENGTH = SettingKey.ofInt(KEY + "max-length", D.maxLength(),
            "max tokens per row (prompt + response); cut to the model's context when that is shorter, the prompt share scaled alike");
    public static final SettingKey<Integer> MAX_PROMPT_LENGTH = SettingKey.ofInt(KEY + "max-prompt-length", D.maxPromptLength(),
            "length an over-long row's prompt is cut to");
    public static final SettingKey<TruncationMode> TRUNCATION = SettingKey.of(KEY + "truncation", TruncationMode::parse, D.truncation(),
            "which end of an over-long prompt is kept: keep_end or keep_start");
    public static final SettingKey<Long> WARMUP_STEPS = SettingKey.ofLong(KEY + "warmup-steps", D.warmupSteps(),
            "linear learning-rate warmup from 0 over this many optimizer steps");
    public static final SettingKey<LrSchedule.Kind> SCHEDULE = SettingKey.of(KEY + "schedule", LrSchedule.Kind::parse, D.schedule(),
            "learning-rate shape after warmup: constant, linear or cosine");
    public static final SettingKey<Long> DECAY_STEPS = SettingKey.ofLong(KEY + "decay-steps", D.decaySteps(),
            "horizon of the linear/cosine schedule: the learning rate reaches 0 at this optimizer step (does not stop training)");
    public static final SettingKey<Double> CLIP_NORM = SettingKey.ofDouble(KEY + "clip-norm", D.clipNorm(),
            "global gradient-norm clip; 0 = off");
    public static final SettingKey<Double> WEIGHT_DECAY = SettingKey.ofDouble(KEY + "weight-decay", D.weightDecay(),
            "AdamW decoupled weight decay");
    public static final SettingKey<Double> TR_ALPHA = SettingKey.ofDouble(KEY + "tr-alpha", D.trAlpha(),
            "TR-DPO mixing weight: ref = alpha * policy + (1 - alpha) * ref");
    public static final SettingKey<Integer> TR_EVERY_STEPS = SettingKey.ofInt(KEY + "tr-every-steps", D.trEverySteps(),
            "TR-DPO mixing period in optimizer steps");
    public static final SettingKey<Integer> REFERENCE_CACHE_SIZE = SettingKey.ofInt(KEY + "reference-cache-size", D.referenceCacheSize(),
            "pairs whose reference log-probs are cached per reference version; 0 = always forward");
    public static final SettingKey<Long> SEED = SettingKey.ofLong(KEY + "seed", D.seed(), "seed recorded with the run");
    public static final SettingKey<Precision> PRECISION = SettingKey.of(KEY + "precision", Precision::parse, D.precision(),
            "fp32, or fp16 mixed precision (GPU only)").documentedDefault("fp32");
    public static final SettingKey<Boolean> GRADIENT_CHECKPOINTING = SettingKey.ofBoolean("prefstream.trainer.gradient-checkpointing",
                    D.gradientCheckpointing(),
                    "recompute each decoder block in backward: about a third more compute for one block's activations instead of all")
            .alsoReadAs(KEY + "gradient-checkpointing", "a memory switch of the trainer, not a DPO hyperparameter");
    public static final SettingKey<ReferencePlacement> REFERENCE_PLACEMENT = SettingKey.of("prefstream.trainer.reference-placement",
                    ReferencePlacement::parse, D.referencePlacement(),
                    "full fine-tuning: device (keep the frozen reference on the training device) or host (in host memory, copied to "
                            + "the accelerator for each reference forward: one model less on the device, one weights copy per step)")
            .documentedDefault("device");

    /** The keys this class owns, in documentation order. */
    public static final List<SettingKey<?>> KEYS = List.of(GRADIENT_CHECKPOINTING, REFERENCE_PLACEMENT, LEARNING_RATE, BETA, LOSS, LOSS_WEIGHTS, LABEL_SMOOTHING, MAX_LENGTH,
            MAX_PROMPT_LENGTH, TRUNCATION, WARMUP_STEPS, SCHEDULE, DECAY_STEPS, CLIP_NORM, WEIGHT_DECAY, TR_ALPHA, TR_EVERY_STEPS,
            REFERENCE_CACHE_SIZE, SEED, PRECISION);

    private DpoSettings() {
    }

    /** {@code base} with the DPO keys of {@code p} applied (read by {@link TrainerSettings#REGISTRY}). */
    public static TrainerConfig apply(TrainerConfig base, Properties p) {
        return apply(base, TrainerSettings.REGISTRY.read(p));
    }

    /** {@code base} with the given DPO settings applied; what is not given keeps the base's value (a checkpoint's, on replay). */
    public static TrainerConfig apply(TrainerConfig base, Settings s) {
        DpoConfig dpo = base.dpo();
        dpo = new DpoConfig(s.get(BETA, dpo.beta()), s.get(LABEL_SMOOTHING, dpo.labelSmoothing()), dpo.lossTypes(), dpo.lossWeights(),
                dpo.discopopTau(), dpo.useWeighting());
        if (s.has(LOSS) || s.has(LOSS_WEIGHTS)) {
            // new loss types without weights: one weight each; weights alone: for the current types
            dpo = dpo.withLosses(s.get(LOSS, dpo.lossTypes()), s.get(LOSS_WEIGHTS).orElse(s.has(LOSS) ? null : dpo.lossWeights()));
        }
        return base.toBuilder()
                .learningRate(s.get(LEARNING_RATE, base.learningRate()))
                .maxLength(s.get(MAX_LENGTH, base.maxLength()))
                .maxPromptLength(s.get(MAX_PROMPT_LENGTH, base.maxPromptLength()))
                .truncation(s.get(TRUNCATION, base.truncation()))
                .warmupSteps(s.get(WARMUP_STEPS, base.warmupSteps()))
                .schedule(s.get(SCHEDULE, base.schedule()))
                .decaySteps(s.get(DECAY_STEPS, base.decaySteps()))
                .clipNorm(s.get(CLIP_NORM, base.clipNorm()))
                .weightDecay(s.get(WEIGHT_DECAY, base.weightDecay()))
                .trAlpha(s.get(TR_ALPHA, base.trAlpha()))
                .trEverySteps(s.get(TR_EVERY_STEPS, base.trEverySteps()))
                .referenceCacheSize(s.get(REFERENCE_CACHE_SIZE, base.referenceCacheSize()))
                .seed(s.get(SEED, base.seed()))
                .precision(s.get(PRECISION, base.precision()))
                .gradientCheckpointing(s.get(GRADIENT_CHECKPOINTING, base.gradientCheckpointing()))
                .referencePlacement(s.get(REFERENCE_PLACEMENT, base.referencePlacement()))
                .dpo(dpo)
                .build();
    }

    private static Double number(String v) {
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + v + "' is not a number");
        }
    }
}
