package dev.prefstream.trainer.stream;

import dev.prefstream.trainer.dpo.DpoConfig;
import dev.prefstream.trainer.dpo.LossType;
import dev.prefstream.trainer.dpo.Precision;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.dpo.TruncationMode;
import dev.prefstream.trainer.optim.LrSchedule;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;

/**
 * DPO hyperparameters from the {@code --config} properties file, keys {@code prefstream.dpo.<key>}:
 * learning-rate, beta, loss (comma list, e.g. {@code sigmoid,sft}), loss-weights, label-smoothing, max-length,
 * max-prompt-length, truncation (keep_start | keep_end), warmup-steps, schedule (constant | linear | cosine),
 * decay-steps, clip-norm, weight-decay, tr-alpha, tr-every-steps, reference-cache-size, seed, precision (fp32 | fp16,
 * fp16 on a GPU only), gradient-checkpointing (true | false: recompute each decoder block in backward, about a third
 * more compute for one block's activations instead of all). Batching and the reference mode come from the streaming settings. Unknown keys are an error.
 */
public final class DpoSettings {

    /** Prefix of these keys. */
    public static final String PREFIX = "prefstream.dpo.";

    private DpoSettings() {
    }

    /** {@code base} with every {@code prefstream.dpo.*} key of {@code p} applied. */
    public static TrainerConfig apply(TrainerConfig base, Properties p) {
        TrainerConfig.Builder b = base.toBuilder();
        DpoConfig dpo = base.dpo();
        for (String key : p.stringPropertyNames()) {
            if (!key.startsWith(PREFIX)) {
                continue;
            }
            String v = p.getProperty(key).trim();
            try {
                switch (key.substring(PREFIX.length())) {
                    case "learning-rate" -> b.learningRate(Double.parseDouble(v));
                    case "beta" -> dpo = new DpoConfig(Double.parseDouble(v), dpo.labelSmoothing(), dpo.lossTypes(), dpo.lossWeights(),
                            dpo.discopopTau(), dpo.useWeighting());
                    case "loss" -> {
                        List<LossType> types = new ArrayList<>();
                        for (String t : v.split(",")) {
                            types.add(LossType.parse(t.trim()));
                        }
                        dpo = dpo.withLosses(types, null);
                    }
                    case "loss-weights" -> {
                        List<Double> ws = new ArrayList<>();
                        for (String w : v.split(",")) {
                            ws.add(Double.parseDouble(w.trim()));
                        }
                        dpo = dpo.withLosses(dpo.lossTypes(), ws);
                    }
                    case "label-smoothing" -> dpo = dpo.withLabelSmoothing(Double.parseDouble(v));
                    case "max-length" -> b.maxLength(Integer.parseInt(v));
                    case "max-prompt-length" -> b.maxPromptLength(Integer.parseInt(v));
                    case "truncation" -> b.truncation(TruncationMode.valueOf(v.toUpperCase(Locale.ROOT)));
                    case "warmup-steps" -> b.warmupSteps(Long.parseLong(v));
                    case "schedule" -> b.schedule(LrSchedule.Kind.valueOf(v.toUpperCase(Locale.ROOT)));
                    case "decay-steps" -> b.maxSteps(Long.parseLong(v));
                    case "clip-norm" -> b.clipNorm(Double.parseDouble(v));
                    case "weight-decay" -> b.weightDecay(Double.parseDouble(v));
                    case "tr-alpha" -> b.trAlpha(Double.parseDouble(v));
                    case "tr-every-steps" -> b.trEverySteps(Integer.parseInt(v));
                    case "reference-cache-size" -> b.referenceCacheSize(Integer.parseInt(v));
                    case "seed" -> b.seed(Long.parseLong(v));
                    case "precision" -> b.precision(Precision.parse(v));
                    case "gradient-checkpointing" -> b.gradientCheckpointing(parseBoolean(key, v));
                    default -> throw new IllegalArgumentException("unknown DPO setting '" + key + "'");
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("setting " + key + "=" + v + " is not a number", e);
            }
        }
        return b.dpo(dpo).build();
    }

    /** true or false (any case); anything else is an error, not a silent false. */
    private static boolean parseBoolean(String key, String v) {
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException("setting " + key + "=" + v + " must be true or false");
    }
}
