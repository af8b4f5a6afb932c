package dev.prefstream.ingest.importer;

/** A dataset line that cannot become an event; {@link #reason()} is a short stable code for the import summary. */
public class LineRejectedException extends RuntimeException {

    /** Reason of a conversation that does not end with the answer being judged. */
    public static final String NO_FINAL_ANSWER = "no_final_answer";
    /** Reason of two answers whose conversations differ before them (no shared prompt). */
    public static final String PROMPT_MISMATCH = "prompt_mismatch";

    private final String reason;

    public LineRejectedException(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
