package dev.prefstream.ingest.importer;

/** A dataset line that cannot become an event; {@link #reason()} is a short stable code for the import summary. */
public class LineRejectedException extends RuntimeException {

    private final String reason;

    public LineRejectedException(String reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public String reason() {
        return reason;
    }
}
