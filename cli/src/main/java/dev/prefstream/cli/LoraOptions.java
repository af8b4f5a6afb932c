package dev.prefstream.cli;

import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.stream.LoraSettings;
import picocli.CommandLine.Option;

/**
 * {@code --lora-rank/--lora-alpha/--lora-dropout/--lora-targets} for train, replay, bench train and demo; they win
 * over the {@code prefstream.trainer.lora-*} keys of {@code --config}.
 */
final class LoraOptions {

    @Option(names = "--lora-rank", paramLabel = "R",
            description = "Train LoRA adapters of rank R on a frozen base (0: full fine-tuning, the default).")
    Integer rank;

    @Option(names = "--lora-alpha", paramLabel = "ALPHA", description = "LoRA scaling numerator: the adapters add (ALPHA/R) B A x (default 2R).")
    Double alpha;

    @Option(names = "--lora-dropout", paramLabel = "P", description = "Dropout on the adapters' input while training (default 0).")
    Double dropout;

    @Option(names = "--lora-targets", paramLabel = "LIST",
            description = "Module names to adapt, e.g. q_proj,v_proj (default: every attention and MLP projection of the family).")
    String targets;

    /** Whether any option was given. */
    boolean given() {
        return rank != null || alpha != null || dropout != null || targets != null;
    }

    /** {@code config} with the given options applied. */
    TrainerConfig apply(TrainerConfig config) {
        if (!given()) {
            return config;
        }
        return config.toBuilder().lora(LoraSettings.resolve(config.lora(), rank, alpha, dropout, targets)).build();
    }
}
