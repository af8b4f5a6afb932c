package dev.prefstream.trainer.stream;

import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.lora.LoraConfig;
import dev.prefstream.trainer.settings.SettingKey;
import dev.prefstream.trainer.settings.Settings;

import java.util.List;
import java.util.Properties;

/**
 * Owner of the LoRA keys {@code prefstream.trainer.lora-rank} (0 = full fine-tuning, the default),
 * {@code lora-alpha} (default 2 x rank), {@code lora-dropout} (default 0) and {@code lora-targets} (comma list of
 * module names, default every attention and MLP projection of the family). They go into the trainer core's config
 * ({@link TrainerConfig#lora()}); the command-line {@code --lora-*} options resolve through {@link #resolve} too.
 */
public final class LoraSettings {

    private static final String KEY = "prefstream.trainer.lora-";

    public static final SettingKey<Integer> RANK = SettingKey.ofInt(KEY + "rank", 0,
            "train LoRA adapters of this rank on a frozen base; 0 = full fine-tuning");
    public static final SettingKey<Double> ALPHA = SettingKey.ofDouble(KEY + "alpha", null,
            "LoRA scaling numerator: the adapters add (alpha / rank) B A x").documentedDefault("2 x rank");
    public static final SettingKey<Double> DROPOUT = SettingKey.ofDouble(KEY + "dropout", 0.0,
            "dropout on the adapters' input while training");
    public static final SettingKey<String> TARGETS = SettingKey.ofString(KEY + "targets", null,
            "comma list of module names to adapt, e.g. q_proj,v_proj").documentedDefault("every attention and MLP projection of the family");

    /** The keys this class owns, in documentation order. */
    public static final List<SettingKey<?>> KEYS = List.of(RANK, ALPHA, DROPOUT, TARGETS);

    private LoraSettings() {
    }

    /** {@code base} with the properties' LoRA keys applied (none present: unchanged). */
    public static TrainerConfig apply(TrainerConfig base, Properties p) {
        return apply(base, TrainerSettings.REGISTRY.read(p));
    }

    /** {@code base} with the given LoRA settings applied (none given: unchanged). */
    public static TrainerConfig apply(TrainerConfig base, Settings s) {
        if (!s.hasAny(KEYS)) {
            return base;
        }
        return base.toBuilder().lora(resolve(base.lora(), s.get(RANK).orElse(null), s.get(ALPHA).orElse(null),
                s.get(DROPOUT).orElse(null), s.get(TARGETS).orElse(null))).build();
    }

    /**
     * {@code current} with the given values (null = keep): alpha defaults to 2 x rank unless set; the command-line
     * options and the properties keys both resolve through here.
     */
    public static LoraConfig resolve(LoraConfig current, Integer rank, Double alpha, Double dropout, String targets) {
        int r = rank != null ? rank : current.rank();
        double a = alpha != null ? alpha : (rank != null || current.alpha() <= 0 ? 2.0 * r : current.alpha());
        double d = dropout != null ? dropout : current.dropout();
        return new LoraConfig(r, r == 0 ? 0 : a, d, targets != null ? LoraConfig.parseTargets(targets) : current.targets());
    }
}
