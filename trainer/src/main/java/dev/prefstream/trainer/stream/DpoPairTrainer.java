package dev.prefstream.trainer.stream;

import ai.djl.Device;
import dev.prefstream.trainer.dpo.DpoTrainer;
import dev.prefstream.trainer.dpo.StepMetrics;
import dev.prefstream.trainer.dpo.TextPair;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.model.LoadedModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@link PairTrainer} over the DPO trainer core ({@link DpoTrainer}): converts pairs with {@link PairTexts}, trains
 * one optimizer step per batch (the core splits it into accumulation micro-batches and reuses cached reference
 * log-probs until the reference changes), and saves/restores the full state (HF weights + trainer-state/) so a
 * resumed run continues bit-exactly.
 */
public final class DpoPairTrainer implements PairTrainer {

    private static final Logger log = LoggerFactory.getLogger(DpoPairTrainer.class);

    private final DpoTrainer trainer;

    public DpoPairTrainer(DpoTrainer trainer) {
        this.trainer = trainer;
    }

    /**
     * Opens trainers: from the initial model with {@code config} (batching and reference mode taken from the
     * streaming config so the two cannot disagree), or restored from a checkpoint (whose saved config wins, so a
     * resumed run continues exactly as it started).
     */
    public static PairTrainerFactory factory(ModelSource initial, TrainerConfig config, StreamingTrainerConfig streaming, Device device) {
        TrainerConfig effective = config.toBuilder()
                .pairsPerStep(streaming.batchPairs())
                .accumulation(streaming.gradientAccumulation())
                .referenceMode(streaming.referenceMode())
                .build();
        return from -> {
            if (from.isPresent()) {
                return new DpoPairTrainer(DpoTrainer.restore(from.get().dir(), device, null));
            }
            LoadedModel lm = initial.load(device);
            try {
                return new DpoPairTrainer(DpoTrainer.create(lm.model(), lm.tokenizer(), effective));
            } catch (RuntimeException e) {
                lm.close();
                throw e;
            }
        };
    }

    /** The wrapped trainer. */
    public DpoTrainer trainer() {
        return trainer;
    }

    @Override
    public Map<String, Double> trainStep(List<PairRecord> batch) {
        List<TextPair> texts = new ArrayList<>(batch.size());
        for (PairRecord r : batch) {
            texts.add(PairTexts.toTextPair(r.pair()));
        }
        StepMetrics m = trainer.trainStep(texts);
        if (m.truncated() > 0) {
            log.warn("Step {}: {} of {} pairs truncated to the configured max length ({} tokens, rule {})", m.step(), m.truncated(),
                    m.pairs(), trainer.config().maxLength(), trainer.config().truncation());
        }
        if (m.skipped()) {
            log.warn("Step {} skipped its update (non-finite gradients under loss scaling)", m.step());
        }
        Map<String, Double> out = new java.util.LinkedHashMap<>(m.toMap());
        out.put("tokens", (double) m.tokens());
        out.put("truncated", (double) m.truncated());
        return out;
    }

    @Override
    public long step() {
        return trainer.step();
    }

    @Override
    public void startIteration(long iteration) {
        if (trainer.startIteration(iteration)) {
            log.info("Reference refreshed for iteration {}: {}", iteration, trainer.referenceVersion());
        }
    }

    @Override
    public String referenceVersion() {
        return trainer.referenceVersion();
    }

    @Override
    public void saveTo(Path dir) {
        trainer.saveState(dir);
    }

    @Override
    public void close() {
        trainer.close();
    }
}
