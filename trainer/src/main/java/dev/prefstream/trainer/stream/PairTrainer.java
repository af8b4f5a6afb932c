package dev.prefstream.trainer.stream;

import dev.prefstream.trainer.dpo.StepMetrics;
import dev.prefstream.trainer.model.DecoderModel;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What the streaming loop needs from a trainer: one optimizer step per batch of pairs, iteration boundaries, and
 * saving its full state into a checkpoint directory. {@link DpoPairTrainer} adapts the DPO trainer core; tests of
 * the streaming machinery can use a cheap stand-in.
 */
public interface PairTrainer extends AutoCloseable {

    /**
     * Trains one optimizer step on these pairs (in this order) and returns the step's metrics (NaN where a trainer
     * does not know one, see {@link StepMetrics#partial}).
     */
    StepMetrics trainStep(List<PairRecord> batch);

    /** Optimizer steps taken since the initial model (restored from a checkpoint on resume). */
    long step();

    /** Called before the first step of every iteration (also the first one after a resume); refreshes the reference per mode. */
    void startIteration(long iteration);

    /** The reference policy's version (changes when the reference is refreshed or mixed). */
    String referenceVersion();

    /**
     * Writes everything needed to continue exactly and to serve: HF weights ({@code config.json},
     * {@code model.safetensors}), {@code tokenizer.json}, and the trainer state under {@code trainer-state/}.
     */
    void saveTo(Path dir) throws IOException;

    /**
     * How pairs become text for this trainer's model (its chat template); the streaming loop checks every pair with
     * it before batching and dead-letters those the template refuses. The built-in format by default.
     */
    default PairTexts texts() {
        return PairTexts.BUILTIN;
    }

    /**
     * The trainer's frozen copy of the initial policy when it keeps one equal to it for the whole run (see
     * {@code DpoTrainer#frozenInitialPolicy}), for the in-process publisher to read between steps instead of loading
     * its own; none by default.
     */
    default Optional<DecoderModel> frozenInitialPolicy() {
        return Optional.empty();
    }

    /** Extra manifest properties describing the run (precision, changed hyperparameters ...); none by default. */
    default Map<String, String> manifestProperties() {
        return Map.of();
    }

    @Override
    void close();
}
