package dev.prefstream.publisher;

import dev.prefstream.schemas.avro.CheckpointStatus;

/**
 * The gate's verdict.
 *
 * @param status PROMOTED or REJECTED
 * @param reason human-readable reason, carried in the registry record's status_reason
 */
public record GateDecision(CheckpointStatus status, String reason) {

    /** True when promoted. */
    public boolean promoted() {
        return status == CheckpointStatus.PROMOTED;
    }
}
