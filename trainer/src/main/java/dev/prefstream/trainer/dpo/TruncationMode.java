package dev.prefstream.trainer.dpo;

import java.util.Locale;

/** Which end of an over-long prompt is kept (TRL's {@code truncation_mode}). */
public enum TruncationMode {
    /** Keep the first tokens of the prompt. */
    KEEP_START,
    /** Keep the last tokens of the prompt (closest to the response; the usual choice for chat). */
    KEEP_END;

    /** Parses "keep_start" / "keep_end". */
    public static TruncationMode parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown truncation mode '" + s + "', expected keep_start or keep_end");
        }
    }
}
