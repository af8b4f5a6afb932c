package dev.prefstream.trainer.model;

import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * float32 -> bfloat16 / float16 narrowing ({@link BFloat16#fromFloat}, {@link HalfFloat#fromFloat}) against an
 * independent reference of round-to-nearest-even written with exact decimal arithmetic: the value divided by the
 * target's unit in the last place at its magnitude, rounded HALF_EVEN, re-encoded. Covers NaN, infinities, zeros,
 * subnormals, the overflow boundary, exact ties, every 16-bit value's round trip, and 50,000 random floats with their exact ties.
 */
class SixteenBitRoundingTest {

    /** Round-to-nearest-even of finite {@code f} to a format with {@code mantissaBits} and exponent bias {@code bias}. */
    private static int reference(float f, int mantissaBits, int bias, int expBits) {
        int sign = Float.floatToRawIntBits(f) < 0 ? 1 << (mantissaBits + expBits) : 0;
        BigDecimal v = new BigDecimal(Math.abs((double) f));
        if (v.signum() == 0) {
            return sign;
        }
        int minExp = 1 - bias;
        int maxBiased = (1 << expBits) - 1;
        int e = Math.max(Math.getExponent(Math.abs(f)), minExp);
        BigDecimal ulp = pow2(e - mantissaBits);
        long q = v.divide(ulp, MathContext.UNLIMITED).setScale(0, RoundingMode.HALF_EVEN).longValueExact();
        if (q >= 2L << mantissaBits) {           // rounded up to the next binade
            e++;
            q >>= 1;
        }
        if (q < 1L << mantissaBits) {            // subnormal (or zero)
            return sign | (int) q;
        }
        int biased = e + bias;
        if (biased >= maxBiased) {
            return sign | (maxBiased << mantissaBits);       // infinity
        }
        return sign | (biased << mantissaBits) | (int) (q - (1L << mantissaBits));
    }

    private static BigDecimal pow2(int k) {
        return k >= 0 ? new BigDecimal(java.math.BigInteger.ONE.shiftLeft(k))
                : BigDecimal.ONE.divide(new BigDecimal(java.math.BigInteger.ONE.shiftLeft(-k)));
    }

    private static int refBf16(float f) {
        return reference(f, 7, 127, 8);
    }

    private static int refF16(float f) {
        return reference(f, 10, 15, 5);
    }

    private static int bf16(float f) {
        return BFloat16.fromFloat(f) & 0xffff;
    }

    private static int f16(float f) {
        return HalfFloat.fromFloat(f) & 0xffff;
    }

    @Test
    void edgeCasesMatchTheReference() {
        float[] cases = {0f, -0f, 1f, -1f, Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE,
                65504f, 65519.996f, 65520f, -65520f, 0x1p-14f, 0x1p-24f, 0x1p-25f, 0x1.000002p-25f, 0x3p-25f, 0x5p-25f,
                0x1.ff8p-15f, 0x1.ffcp-15f, 0x1p-126f, 0x1p-133f, 0x1.8p-134f, 1.00390625f /* bf16 tie, even below */, 1.01171875f /* bf16 tie, odd below */,
                1.00048828125f /* f16 tie, even */, 1.00146484375f /* f16 tie, odd */, 3.4e38f, 0.1f, -2.5e-8f, 1e-45f};
        for (float f : cases) {
            assertThat(bf16(f)).as("bf16 of %s", f).isEqualTo(refBf16(f));
            assertThat(f16(f)).as("f16 of %s", f).isEqualTo(refF16(f));
        }
        // named expectations, so a wrong reference cannot hide a wrong conversion
        assertThat(bf16(1.00390625f)).isEqualTo(0x3f80);       // tie to even: down
        assertThat(bf16(1.01171875f)).isEqualTo(0x3f82);       // tie to even: up
        assertThat(bf16(Float.MAX_VALUE)).isEqualTo(0x7f80);   // overflow: +inf
        assertThat(bf16(Float.MIN_VALUE)).isEqualTo(0x0000);   // 2^-149: below half of bf16's smallest subnormal 2^-133
        assertThat(f16(65504f)).isEqualTo(0x7bff);
        assertThat(f16(65520f)).isEqualTo(0x7c00);             // half-way above max: ties to even = infinity
        assertThat(f16(65519.996f)).isEqualTo(0x7bff);
        assertThat(f16(0x1p-24f)).isEqualTo(0x0001);           // smallest subnormal
        assertThat(f16(0x1p-25f)).isEqualTo(0x0000);           // tie between 0 and 2^-24: even
        assertThat(f16(0x3p-25f)).isEqualTo(0x0002);           // tie between 1 and 2 units: even
        assertThat(f16(0x1.ff8p-15f)).isEqualTo(0x03ff);       // the largest subnormal, exact
        assertThat(f16(0x1.ffcp-15f)).isEqualTo(0x0400);       // its tie with the smallest normal rounds up (even)
    }

    @Test
    void infinitiesAndNansStayWhatTheyAre() {
        assertThat(bf16(Float.POSITIVE_INFINITY)).isEqualTo(0x7f80);
        assertThat(bf16(Float.NEGATIVE_INFINITY)).isEqualTo(0xff80);
        assertThat(f16(Float.POSITIVE_INFINITY)).isEqualTo(0x7c00);
        assertThat(f16(Float.NEGATIVE_INFINITY)).isEqualTo(0xfc00);
        assertThat(bf16(Float.NaN)).isEqualTo(0x7fc0);
        assertThat(f16(Float.NaN)).isEqualTo(0x7e00);
        // a NaN whose payload is only in the low bits must not become infinity
        float lowPayloadNan = Float.intBitsToFloat(0xff800001);
        assertThat(bf16(lowPayloadNan)).isEqualTo(0xffc0);
        assertThat(f16(lowPayloadNan)).isEqualTo(0xfe00);
        assertThat(Float.isNaN(BFloat16.toFloat(BFloat16.fromFloat(lowPayloadNan)))).isTrue();
    }

    @Test
    void every16BitValueSurvivesWideningAndNarrowing() {
        for (int b = 0; b <= 0xffff; b++) {
            short s = (short) b;
            assertThat(bf16(BFloat16.toFloat(s))).as("bf16 %04x", b).isEqualTo(b);
            assertThat(f16(HalfFloat.toFloat(s))).as("f16 %04x", b).isEqualTo(b);
        }
    }

    @Test
    void randomFloatsAndExactTiesMatchTheReference() {
        SplittableRandom r = new SplittableRandom(7);
        for (int i = 0; i < 50_000; i++) {
            float f = Float.intBitsToFloat(r.nextInt());
            if (!Float.isFinite(f)) {
                continue;
            }
            assertThat(bf16(f)).as("bf16 of %s", f).isEqualTo(refBf16(f));
            assertThat(f16(f)).as("f16 of %s", f).isEqualTo(refF16(f));
            // the exact midpoint between two neighbouring 16-bit values
            int tieBf16 = (Float.floatToRawIntBits(f) & 0xffff0000) | 0x8000;
            float t = Float.intBitsToFloat(tieBf16);
            if (Float.isFinite(t)) {
                assertThat(bf16(t)).as("bf16 tie %s", t).isEqualTo(refBf16(t));
            }
            int tieF16 = (Float.floatToRawIntBits(f) & 0xffffe000) | 0x1000;
            float u = Float.intBitsToFloat(tieF16);
            if (Float.isFinite(u)) {
                assertThat(f16(u)).as("f16 tie %s", u).isEqualTo(refF16(u));
            }
        }
    }
}
