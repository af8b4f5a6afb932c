package dev.prefstream.trainer.lora;

import com.fasterxml.jackson.annotation.JsonIgnore;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.family.ModelFamily;

import java.util.List;
import java.util.Locale;

/**
 * Low-rank adapters (LoRA, Hu et al. 2021, in PEFT's convention): every targeted projection {@code y = W x + b}
 * computes {@code W x + b + (alpha / rank) * B (A (dropout(x)))} with {@code A} [rank, in] Kaiming-uniform and
 * {@code B} [out, rank] zero at the start, the base weights frozen. Saved with every trainer state, so a resumed run
 * knows it trains adapters.
 *
 * @param rank    r; 0 = full fine-tuning (no adapters, the default)
 * @param alpha   scaling numerator; the delta is multiplied by alpha / rank (PEFT's {@code lora_alpha})
 * @param dropout dropout probability on the adapter input while training (0 = none, the default; PEFT's
 *                {@code lora_dropout}); a step with dropout &gt; 0 draws from PyTorch's generator
 * @param targets module names (PEFT's {@code target_modules}: a module matches when its path equals a name or ends
 *                with "." + name); empty = every attention and MLP projection of the family ({@link #defaultTargets})
 */
public record LoraConfig(int rank, double alpha, double dropout, List<String> targets) {

    public LoraConfig {
        if (rank < 0) {
            throw new IllegalArgumentException("LoRA rank must be >= 0 (0 = full fine-tuning), got " + rank);
        }
        if (!(alpha > 0) || Double.isInfinite(alpha)) {
            if (rank > 0) {
                throw new IllegalArgumentException("LoRA alpha must be finite and > 0, got " + alpha);
            }
        }
        if (!(dropout >= 0 && dropout < 1)) {
            throw new IllegalArgumentException("LoRA dropout must be in [0, 1), got " + dropout);
        }
        targets = targets == null ? List.of() : List.copyOf(targets.stream().map(String::trim).filter(s -> !s.isEmpty()).toList());
    }

    /** No adapters: full fine-tuning. */
    public static LoraConfig none() {
        return new LoraConfig(0, 0, 0, List.of());
    }

    /** Rank r with PEFT-style defaults of this project: alpha 2r, no dropout, the family's default targets. */
    public static LoraConfig ofRank(int rank) {
        return new LoraConfig(rank, 2.0 * rank, 0, List.of());
    }

    /** Whether adapters are trained (rank &gt; 0). */
    @JsonIgnore
    public boolean enabled() {
        return rank > 0;
    }

    /** alpha / rank, the factor of the adapter's output. */
    @JsonIgnore
    public double scale() {
        return alpha / rank;
    }

    /** The explicit targets, or the family's defaults when none are given. */
    public List<String> targetsFor(ModelConfig model) {
        return targets.isEmpty() ? defaultTargets(model) : targets;
    }

    /**
     * Every attention and MLP projection, by the module names PEFT users write for the model's family (each
     * family's list lives with its config reader and tensor names, {@link ModelFamily#loraTargets()}): e.g. Llama's
     * {@code q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj}, GPT-2's {@code c_attn,c_proj,c_fc}.
     */
    public static List<String> defaultTargets(ModelConfig model) {
        return ModelFamily.of(model).loraTargets();
    }

    /** {@code a,b,c} -> list (blank entries dropped). */
    public static List<String> parseTargets(String list) {
        if (list == null || list.isBlank()) {
            return List.of();
        }
        return List.of(list.split(",")).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** A short description for logs and manifests. */
    public String describe() {
        if (!enabled()) {
            return "none";
        }
        return String.format(Locale.ROOT, "r=%d alpha=%s dropout=%s targets=%s", rank, alpha, dropout,
                targets.isEmpty() ? "default" : String.join(",", targets));
    }
}
