package dev.prefstream.ingest.validate;

import dev.prefstream.schemas.error.FatalException;

/**
 * Thrown by a processor for a record that must go to the dead-letter topic. The topology's
 * {@code ProcessingExceptionHandler} turns it into a DLQ record carrying the original bytes and the reason, and
 * processing resumes with the next record.
 *
 * <p>It is an exception, not a branch of the stream, because only the exception handler is given the source
 * record's raw bytes; the cost is one exception per rejected record, without a stack trace (it is expected input,
 * not a bug, so filling in a trace would be wasted work). Fatal: the same record is rejected again on a retry.
 */
public class RejectedRecordException extends FatalException {

    private final transient Rejection rejection;

    public RejectedRecordException(Rejection rejection) {
        super(rejection.reason().code() + ": " + rejection.message(), null, false);
        this.rejection = rejection;
    }

    public Rejection rejection() {
        return rejection;
    }
}
