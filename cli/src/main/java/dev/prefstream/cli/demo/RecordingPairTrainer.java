package dev.prefstream.cli.demo;

import dev.prefstream.trainer.dpo.StepMetrics;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.stream.PairRecord;
import dev.prefstream.trainer.stream.PairTrainer;
import dev.prefstream.trainer.stream.PairTrainerFactory;
import dev.prefstream.trainer.stream.PairTexts;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Decorates the real {@link PairTrainer}: every call goes through unchanged, and each step's metrics are also
 * recorded in the demo's {@link RunHistory} (the loss/accuracy curves of the report and the live view).
 */
final class RecordingPairTrainer implements PairTrainer {

    private final PairTrainer delegate;
    private final RunHistory history;

    private RecordingPairTrainer(PairTrainer delegate, RunHistory history) {
        this.delegate = delegate;
        this.history = history;
    }

    /** A factory whose trainers record into {@code history}. */
    static PairTrainerFactory wrap(PairTrainerFactory factory, RunHistory history) {
        return from -> new RecordingPairTrainer(factory.open(from), history);
    }

    @Override
    public StepMetrics trainStep(List<PairRecord> batch) {
        StepMetrics m = delegate.trainStep(batch);
        history.addTrainedPairs(batch.size());
        history.addStep(new RunHistory.StepPoint(delegate.step(), m.loss(), m.rewardsAccuracies(), m.rewardsMargins()));
        return m;
    }

    @Override
    public long step() {
        return delegate.step();
    }

    @Override
    public void startIteration(long iteration) {
        delegate.startIteration(iteration);
    }

    @Override
    public String referenceVersion() {
        return delegate.referenceVersion();
    }

    @Override
    public void saveTo(Path dir) throws IOException {
        delegate.saveTo(dir);
    }

    @Override
    public PairTexts texts() {
        return delegate.texts();
    }

    @Override
    public Map<String, String> manifestProperties() {
        return delegate.manifestProperties();
    }

    @Override
    public Optional<DecoderModel> frozenInitialPolicy() {
        return delegate.frozenInitialPolicy();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
