package dev.prefstream.trainer.dpo;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * One preference pair as text.
 *
 * @param prompt   the prompt, already rendered with the chat template (see {@link ChatTemplate})
 * @param chosen   the preferred response (no EOS: collation appends it)
 * @param rejected the dispreferred response
 * @param weight   per-pair loss weight (1 = plain DPO), e.g. a judge's confidence; must be finite and &gt;= 0
 */
public record TextPair(String prompt, String chosen, String rejected, double weight) {

    public TextPair {
        if (prompt == null || chosen == null || rejected == null) {
            throw new IllegalArgumentException("prompt, chosen and rejected are required");
        }
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("pair weight must be finite and >= 0, got " + weight);
        }
    }

    /** A pair with weight 1. */
    public static TextPair of(String prompt, String chosen, String rejected) {
        return new TextPair(prompt, chosen, rejected, 1.0);
    }

    /**
     * Content key (SHA-256 of the three texts, hex) identifying the pair in reference log-prob caches: the same
     * texts always map to the same cached values, whatever id the pair had upstream.
     */
    public String contentKey() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (String s : new String[] {prompt, chosen, rejected}) {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                md.update(Integer.toString(b.length).getBytes(StandardCharsets.US_ASCII));
                md.update((byte) ':');
                md.update(b);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by every JVM", e);
        }
    }
}
