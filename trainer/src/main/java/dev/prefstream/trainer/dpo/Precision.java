package dev.prefstream.trainer.dpo;

import java.util.Locale;

/**
 * Numeric precision of training. bfloat16 is deliberately absent: DJL 0.35.1's PyTorch JNI has no mapping for it
 * and aborts the JVM on a cast.
 */
public enum Precision {
    /** float32 weights, activations and optimizer state. */
    FP32,
    /**
     * float16 weights and activations (GPU only), float32 master weights and moments in the optimizer, dynamic loss
     * scaling, steps with inf/NaN gradients skipped. The policy must be given with float16 weights; the current
     * DecoderModel forward runs in float32 only (its float16 forward fails on a dtype mismatch), so this mode
     * awaits a float16-capable model.
     */
    FP16;

    /** Parses "fp32" / "fp16". */
    public static Precision parse(String s) {
        String n = s.trim().toUpperCase(Locale.ROOT);
        if (n.equals("BF16") || n.equals("BFLOAT16")) {
            throw new IllegalArgumentException("bf16 is not supported: DJL 0.35.1 aborts the JVM casting to bfloat16");
        }
        try {
            return valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown precision '" + s + "', expected fp32 or fp16");
        }
    }
}
