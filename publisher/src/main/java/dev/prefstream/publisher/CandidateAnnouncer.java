package dev.prefstream.publisher;

import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.trainer.checkpoint.VerifiedCheckpoint;
import dev.prefstream.trainer.stream.CheckpointListener;

import java.util.Map;

/**
 * Trainer-side listener for the split deployment: instead of evaluating and writing to the store itself, the trainer
 * announces each checkpoint as a CANDIDATE record (artifact URI = the checkpoint directory, which must be readable by
 * the publisher, e.g. a shared volume) on the candidates topic; {@link PublisherService} does the rest.
 */
public final class CandidateAnnouncer implements CheckpointListener, AutoCloseable {

    private final RegistryPublisher producer;

    public CandidateAnnouncer(Map<String, Object> kafka, String candidatesTopic) {
        CandidateTopic.ensure(kafka, candidatesTopic);
        this.producer = new RegistryPublisher(kafka, candidatesTopic);
    }

    @Override
    public void onCheckpoint(VerifiedCheckpoint checkpoint) {
        producer.publish(RegistryRecords.of(checkpoint, checkpoint.dir().toAbsolutePath().toUri(), CheckpointStatus.CANDIDATE, null, Map.of()));
    }

    @Override
    public void close() {
        producer.close();
    }
}
