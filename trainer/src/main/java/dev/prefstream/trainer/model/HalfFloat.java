package dev.prefstream.trainer.model;

/**
 * IEEE 754 binary16 to and from float32 (Java 17 has no {@code Float.float16ToFloat}/{@code floatToFloat16}).
 * Widening is exact for every half value; narrowing rounds to nearest even, so it gives back the same bits for
 * every value that came from a half.
 */
final class HalfFloat {

    private HalfFloat() {
    }

    static float toFloat(short half) {
        int h = half & 0xffff;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1f;
        int mant = h & 0x3ff;
        if (exp == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
        }
        if (exp == 0) {
            if (mant == 0) {
                return Float.intBitsToFloat(sign);
            }
            // subnormal half: value = mant * 2^-24
            float v = mant * 0x1p-24f;
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp - 15 + 127) << 23) | (mant << 13));
    }

    /**
     * float32 to binary16 with round-to-nearest-even (as PyTorch's {@code tensor.half()}): values of magnitude
     * {@code >= 65520} become infinity, tiny values round to the nearest subnormal (or zero), a NaN stays a NaN with
     * its sign and top payload bits (made quiet only when those bits would all be zero).
     */
    static short fromFloat(float f) {
        int bits = Float.floatToRawIntBits(f);
        int sign = (bits >>> 16) & 0x8000;
        int abs = bits & 0x7fffffff;
        if (abs > 0x7f800000) {
            int mant = (abs >>> 13) & 0x3ff;
            return (short) (sign | 0x7c00 | (mant == 0 ? 0x200 : mant));
        }
        if (abs >= 0x477ff000) {                     // >= 65520 (half-way above 65504): infinity
            return (short) (sign | 0x7c00);
        }
        int e = abs >>> 23;
        if (e >= 113) {                              // >= 2^-14: a normal half
            int half = ((e - 112) << 10) | ((abs & 0x7fffff) >>> 13);
            int rem = abs & 0x1fff;
            if (rem > 0x1000 || (rem == 0x1000 && (half & 1) == 1)) {
                half++;                              // a carry into the exponent is the right result
            }
            return (short) (sign | half);
        }
        if (e < 102) {                               // below 2^-25: rounds to zero
            return (short) sign;
        }
        int m = (abs & 0x7fffff) | 0x800000;         // value = m * 2^(e - 150); subnormal unit 2^-24
        int shift = 126 - e;
        int q = m >>> shift;
        int rem = m & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (rem > halfway || (rem == halfway && (q & 1) == 1)) {
            q++;                                     // 0x400 is the smallest normal: also right
        }
        return (short) (sign | q);
    }
}
