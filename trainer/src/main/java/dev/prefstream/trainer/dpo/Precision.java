package dev.prefstream.trainer.dpo;

import ai.djl.ndarray.types.DataType;

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
     * scaling, steps with inf/NaN gradients skipped. The policy must be given with float16 weights
     * ({@code HfModelLoader.load(dir, device, DataType.FLOAT16)} or {@code DecoderModel.toDtype(DataType.FLOAT16)});
     * norm statistics, attention softmax, log-probs and the loss stay float32.
     */
    FP16;

    /** Type of the model's weights in this mode. */
    public DataType weightType() {
        return this == FP16 ? DataType.FLOAT16 : DataType.FLOAT32;
    }

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
