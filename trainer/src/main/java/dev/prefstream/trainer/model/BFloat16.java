package dev.prefstream.trainer.model;

/**
 * bfloat16 (the top 16 bits of a float32) conversions done in Java, because DJL 0.35.1 cannot hold bfloat16 arrays
 * (casting to it aborts the JVM): weights are trained as float32 and narrowed here when a checkpoint is written in
 * the source model's bf16.
 */
public final class BFloat16 {

    private BFloat16() {
    }

    /**
     * float32 to bfloat16 with round-to-nearest-even (as PyTorch's {@code tensor.to(torch.bfloat16)}): exact for every
     * value that came from a bfloat16, so a bf16 tensor loaded and saved untouched keeps its bytes. Overflow rounds
     * to infinity, subnormals round like normals (same exponent range as float32), a NaN stays a NaN with its sign
     * and top payload bits (made quiet only when those bits would all be zero).
     */
    public static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        if ((bits & 0x7fffffff) > 0x7f800000) {
            int top = bits >>> 16;
            if ((top & 0x7f) == 0) {
                top |= 0x40;
            }
            return (short) top;
        }
        int lsb = (bits >>> 16) & 1;
        return (short) ((bits + 0x7fff + lsb) >>> 16);
    }

    /** bfloat16 to float32 (exact). */
    public static float toFloat(short b) {
        return Float.intBitsToFloat((b & 0xffff) << 16);
    }
}
