package dev.prefstream.ingest.validate;

import java.util.Objects;

/** A reason code plus a message a person can act on (names the field, the value and the limit). */
public record Rejection(RejectReason reason, String message) {
    public Rejection {
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(message, "message");
    }
}
