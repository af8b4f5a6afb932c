package dev.prefstream.checkpoint.split;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Deterministic train / held-out split of preference pairs by a salted SHA-256 of the pair id. The trainer never
 * trains a held-out pair and the publisher evaluates only on held-out pairs; both compute the same split without
 * coordinating, and a pair keeps its side forever (also across replays and reprocessing, since pair ids are
 * content hashes).
 */
public final class HeldOutSplit {

    /** Salt used unless configured otherwise; changing it reshuffles which pairs are held out. */
    public static final String DEFAULT_SALT = "prefstream-held-out-v1";

    private final double fraction;
    private final String salt;
    private final long threshold;

    /**
     * @param fraction share of pairs held out, in [0, 0.5]
     * @param salt     mixed into the hash so different deployments can hold out different pairs
     */
    public HeldOutSplit(double fraction, String salt) {
        if (!(fraction >= 0 && fraction <= 0.5)) {
            throw new IllegalArgumentException("held-out fraction must be in [0, 0.5], got " + fraction);
        }
        if (salt == null || salt.isEmpty()) {
            throw new IllegalArgumentException("held-out salt must not be empty");
        }
        this.fraction = fraction;
        this.salt = salt;
        // compare the top 53 bits of the hash against fraction * 2^53: exact enough and free of sign issues
        this.threshold = (long) Math.floor(fraction * (double) (1L << 53));
    }

    /** The held-out share. */
    public double fraction() {
        return fraction;
    }

    /** The salt. */
    public String salt() {
        return salt;
    }

    /** True when the pair belongs to the held-out (evaluation) side. */
    public boolean isHeldOut(String pairId) {
        return bucket(pairId) < threshold;
    }

    /**
     * The pair's position in [0, 2^53) of the split's hash order; the held-out set's bounded sample keeps the
     * lowest buckets, so it too is independent of arrival order.
     */
    public long bucket(String pairId) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(salt.getBytes(StandardCharsets.UTF_8));
            md.update((byte) 0);
            md.update(pairId.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.wrap(md.digest()).getLong() >>> 11;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JRE has SHA-256", e);
        }
    }
}
