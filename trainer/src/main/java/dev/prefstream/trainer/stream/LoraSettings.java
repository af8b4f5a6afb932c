package dev.prefstream.trainer.stream;

import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.lora.LoraConfig;

import java.util.Properties;

/**
 * LoRA settings from the {@code --config} properties file, keys {@code prefstream.trainer.lora-rank} (0 = full
 * fine-tuning, the default), {@code lora-alpha} (default 2 x rank), {@code lora-dropout} (default 0) and
 * {@code lora-targets} (comma list of module names, default every attention and MLP projection of the family).
 * They go into the trainer core's config ({@link TrainerConfig#lora()}), so {@link StreamingTrainerConfig} skips them.
 */
public final class LoraSettings {

    /** The keys' common prefix. */
    public static final String PREFIX = StreamingTrainerConfig.PREFIX + "lora-";

    private LoraSettings() {
    }

    /** Whether {@code key} (without {@link StreamingTrainerConfig#PREFIX}) is one of these settings. */
    static boolean isLoraKey(String shortKey) {
        return shortKey.equals("lora-rank") || shortKey.equals("lora-alpha") || shortKey.equals("lora-dropout")
                || shortKey.equals("lora-targets");
    }

    /** {@code base} with the properties' LoRA keys applied (none present: unchanged). */
    public static TrainerConfig apply(TrainerConfig base, Properties p) {
        String rank = p.getProperty(PREFIX + "rank");
        String alpha = p.getProperty(PREFIX + "alpha");
        String dropout = p.getProperty(PREFIX + "dropout");
        String targets = p.getProperty(PREFIX + "targets");
        if (rank == null && alpha == null && dropout == null && targets == null) {
            return base;
        }
        try {
            return base.toBuilder().lora(resolve(base.lora(),
                    rank == null ? null : Integer.parseInt(rank.trim()),
                    alpha == null ? null : Double.parseDouble(alpha.trim()),
                    dropout == null ? null : Double.parseDouble(dropout.trim()), targets)).build();
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("LoRA settings " + PREFIX + "rank/alpha/dropout must be numbers: " + e.getMessage(), e);
        }
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
