package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.format.CheckpointLayout;
import dev.prefstream.checkpoint.format.Sha256;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.trainer.dpo.StepMetrics;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A stand-in trainer for the streaming machinery's tests: no model, but a "weights" file that is a running hash
 * over every trained pair id in order, so two runs over the same pairs in the same batches end with equal weights.
 */
final class RecordingPairTrainer implements PairTrainer {

    private long step;
    private String state;

    RecordingPairTrainer(Optional<VerifiedCheckpoint> from) {
        state = "init";
        from.ifPresent(cp -> {
            try {
                List<String> lines = Files.readAllLines(cp.dir().resolve(CheckpointLayout.TRAINER_STATE_DIR).resolve("state.txt"));
                step = Long.parseLong(lines.get(0));
                state = lines.get(1);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static PairTrainerFactory factory() {
        return RecordingPairTrainer::new;
    }

    @Override
    public StepMetrics trainStep(List<PairRecord> batch) {
        StringBuilder sb = new StringBuilder(state);
        batch.forEach(r -> sb.append('|').append(r.pairId()));
        state = Sha256.of(sb.toString().getBytes(StandardCharsets.UTF_8));
        step++;
        return StepMetrics.partial(step, 0.5, 1.0, 10L * batch.size(), batch.size());
    }

    @Override
    public long step() {
        return step;
    }

    @Override
    public void startIteration(long iteration) {
    }

    @Override
    public String referenceVersion() {
        return "ref-0";
    }

    @Override
    public void saveTo(Path dir) throws IOException {
        Files.writeString(dir.resolve("model.safetensors"), state);
        Files.createDirectories(dir.resolve(CheckpointLayout.TRAINER_STATE_DIR));
        Files.writeString(dir.resolve(CheckpointLayout.TRAINER_STATE_DIR).resolve("state.txt"), step + "\n" + state + "\n");
    }

    @Override
    public void close() {
    }
}
