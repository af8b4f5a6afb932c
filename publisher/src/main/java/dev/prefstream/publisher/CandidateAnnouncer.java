package dev.prefstream.publisher;

import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.trainer.stream.CheckpointListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;

/**
 * Trainer-side listener for the split deployment: instead of evaluating and writing to the store itself, the trainer
 * announces each checkpoint as a CANDIDATE record (artifact URI = the checkpoint directory, which must be readable by
 * the publisher, e.g. a shared volume) on the candidates topic; {@link PublisherService} does the rest.
 */
public final class CandidateAnnouncer implements CheckpointListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CandidateAnnouncer.class);

    private final RegistryPublisher producer;

    public CandidateAnnouncer(Map<String, Object> kafka, String candidatesTopic) {
        CandidateTopic.ensure(kafka, candidatesTopic);
        this.producer = new RegistryPublisher(kafka, candidatesTopic);
    }

    @Override
    public void onCheckpoint(VerifiedCheckpoint checkpoint) {
        producer.publish(RegistryRecords.of(checkpoint, checkpoint.dir().toAbsolutePath().toUri(), CheckpointStatus.CANDIDATE, null, Map.of()));
    }

    /**
     * Announces the checkpoint a restarted trainer continues from unless the candidates topic already has it or a
     * newer step of the model: a trainer killed between writing a checkpoint and producing its CANDIDATE record would
     * otherwise leave it unannounced for good. Costs one read of the candidates topic per start.
     */
    @Override
    public void onResume(VerifiedCheckpoint checkpoint) {
        String model = checkpoint.manifest().modelName();
        if (producer.read().sameOrNewer(model, checkpoint.version(), checkpoint.manifest().step()).isEmpty()) {
            log.warn("{} {} was written but never announced as a candidate; announcing it now", model, checkpoint.version());
            onCheckpoint(checkpoint);
        }
    }

    @Override
    public void close() {
        producer.close();
    }
}
