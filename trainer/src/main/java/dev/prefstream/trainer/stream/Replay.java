package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * Retraining from a chosen point of the pair log, from a chosen checkpoint, into another checkpoints directory:
 * {@code prefstream replay}. It uses its own consumer (assign + seek, no leader lease, a throw-away group id for
 * the lag-monitoring commits), so the live trainer's group and lease are untouched. If the output directory already
 * holds a good checkpoint (an interrupted replay), it continues from there with exactly-once accounting.
 */
public final class Replay {

    private Replay() {
    }

    /**
     * A trainer that replays.
     *
     * @param config   settings; checkpointsDir is the replay's output, stopAtTimestampMs the optional end
     * @param kafka    client settings
     * @param trainers opens the DPO trainer (restores {@code start} when given)
     * @param start    checkpoint to start from (empty: the initial model)
     * @param from     where in the log to start
     */
    public static StreamingTrainer create(StreamingTrainerConfig config, Map<String, Object> kafka, PairTrainerFactory trainers,
                                          Optional<VerifiedCheckpoint> start, StartPositions from) {
        StreamingTrainerConfig c = config.with(b -> {
            b.leaderElection = false;
            b.groupId = "prefstream-replay." + config.modelName() + "." + UUID.randomUUID().toString().substring(0, 8);
        });
        Supplier<ResumePoint> resume = () -> {
            Optional<VerifiedCheckpoint> own = CheckpointReader.newestGood(c.checkpointsDir());
            return own.isPresent() ? new ResumePoint(own, StartPositions.fromCheckpoint(true)) : new ResumePoint(start, from);
        };
        return new StreamingTrainer(c, kafka, trainers, resume,
                new TrainerMetrics(new SimpleMeterRegistry(), c.modelName(), System::currentTimeMillis), Clock.systemUTC());
    }
}
