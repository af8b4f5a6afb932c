package dev.prefstream.publisher;

import dev.prefstream.schemas.avro.ModelCheckpoint;

/**
 * What publishing one checkpoint did.
 *
 * @param record   the record announced on model-registry
 * @param metrics  the held-out evaluation
 * @param decision the gate's verdict
 */
public record PublishResult(ModelCheckpoint record, CandidateMetrics metrics, GateDecision decision) {
}
