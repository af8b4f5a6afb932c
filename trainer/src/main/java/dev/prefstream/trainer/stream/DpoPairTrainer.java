package dev.prefstream.trainer.stream;

import ai.djl.Device;
import dev.prefstream.checkpoint.lora.BaseReference;
import dev.prefstream.trainer.dpo.DpoTrainer;
import dev.prefstream.trainer.dpo.RestoreOptions;
import dev.prefstream.trainer.dpo.SettingChange;
import dev.prefstream.trainer.dpo.StepMetrics;
import dev.prefstream.trainer.dpo.TextPair;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.LoadedModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * {@link PairTrainer} over the DPO trainer core ({@link DpoTrainer}): converts pairs with {@link PairTexts}, trains
 * one optimizer step per batch (the core splits it into accumulation micro-batches and reuses cached reference
 * log-probs until the reference changes), and saves/restores the full state (HF weights + trainer-state/) so a
 * resumed run continues bit-exactly.
 */
public final class DpoPairTrainer implements PairTrainer {

    private static final Logger log = LoggerFactory.getLogger(DpoPairTrainer.class);

    /**
     * Manifest property naming the chat format the pairs were rendered with: {@code built-in}, or
     * {@code sha256:<hex>} of the Jinja template text (the model's own or a {@code --chat-template} file).
     */
    public static final String CHAT_TEMPLATE = "chat_template";

    /** Manifest property listing changed hyperparameters, e.g. {@code dpo.beta: 0.1 -> 0.5}. */
    public static final String HYPERPARAMETER_OVERRIDES = "hyperparameter_overrides";

    /** Manifest property naming the checkpoint's layout; absent for full Hugging Face model directories. */
    public static final String FORMAT = "format";
    /** {@link #FORMAT} of a LoRA checkpoint: a PEFT adapter directory plus a base reference. */
    public static final String FORMAT_PEFT_LORA = "peft-lora";

    private final DpoTrainer trainer;
    private final PairTexts texts;

    public DpoPairTrainer(DpoTrainer trainer) {
        this.trainer = trainer;
        this.texts = PairTexts.of(trainer.tokenizer());
    }

    /**
     * Opens trainers: from the initial model with {@code config} (batching and reference mode taken from the
     * streaming config so the two cannot disagree; the model converted to the precision's weight type), or restored
     * from a checkpoint (whose saved config wins, so a resumed run continues exactly as it started; a checkpoint of
     * another precision than {@code config}'s is refused with a clear error instead of silently training in it).
     */
    public static PairTrainerFactory factory(ModelSource initial, TrainerConfig config, StreamingTrainerConfig streaming, Device device) {
        TrainerConfig effective = streaming.applyTo(config);
        // precision and LoRA settings are structural: a checkpoint trained otherwise is refused with a clear error
        RestoreOptions samePrecision = RestoreOptions.overriding(saved -> saved.toBuilder().precision(config.precision())
                        .lora(config.lora()).referencePlacement(config.referencePlacement()).build(),
                RestoreOptions.OptimizerState.RESTORED);
        return from -> from.isPresent()
                ? new DpoPairTrainer(DpoTrainer.restore(from.get().dir(), device, null, samePrecision))
                : fresh(initial, effective, device);
    }

    /**
     * Opens trainers for a replay with changed hyperparameters: a checkpoint is restored with
     * {@code hyperparameters.apply(saved config)} (then batching and reference mode from the streaming config), the
     * changes recorded in the trainer state and the manifests ({@code hyperparameter_overrides}). The optimizer
     * state of the start checkpoint is kept or reset per {@code startOptimizer}; the replay's own checkpoints
     * (under {@code streaming.checkpointsDir()}, an interrupted replay resuming) always restore theirs, so a resumed
     * replay continues exactly. Without a checkpoint the initial model is trained with {@code config}.
     */
    public static PairTrainerFactory replayFactory(ModelSource initial, TrainerConfig config, StreamingTrainerConfig streaming,
                                                   Device device, UnaryOperator<TrainerConfig> hyperparameters,
                                                   RestoreOptions.OptimizerState startOptimizer) {
        TrainerConfig effective = streaming.applyTo(config);
        UnaryOperator<TrainerConfig> change = saved -> streaming.applyTo(hyperparameters.apply(saved));
        Path own = streaming.checkpointsDir().toAbsolutePath().normalize();
        return from -> {
            if (from.isEmpty()) {
                return fresh(initial, effective, device);
            }
            Path dir = from.get().dir();
            boolean ownCheckpoint = dir.toAbsolutePath().normalize().startsWith(own);
            RestoreOptions options = RestoreOptions.overriding(change,
                    ownCheckpoint ? RestoreOptions.OptimizerState.RESTORED : startOptimizer);
            return new DpoPairTrainer(DpoTrainer.restore(dir, device, null, options));
        };
    }

    private static DpoPairTrainer fresh(ModelSource initial, TrainerConfig config, Device device) {
        DpoTrainer.checkPrecisionSupported(config.precision(), device);
        LoadedModel lm = initial.load(device, config.precision().weightType());
        try {
            DpoTrainer trainer = DpoTrainer.create(lm.model(), lm.tokenizer(), config);
            if (config.lora().enabled() && initial.dir() != null) {
                trainer.useLoraBase(BaseReference.of(initial.dir()));   // referenced by path + hash, never copied
            }
            return new DpoPairTrainer(trainer);
        } catch (RuntimeException e) {
            lm.close();
            throw e;
        }
    }

    /** The wrapped trainer. */
    public DpoTrainer trainer() {
        return trainer;
    }

    @Override
    public StepMetrics trainStep(List<PairRecord> batch) {
        List<TextPair> texts = new ArrayList<>(batch.size());
        for (PairRecord r : batch) {
            texts.add(this.texts.toTextPair(r.pair()));
        }
        StepMetrics m = trainer.trainStep(texts);
        if (m.truncated() > 0) {
            log.warn("Step {}: {} of {} pairs truncated to the configured max length ({} tokens, rule {})", m.step(), m.truncated(),
                    m.pairs(), trainer.config().maxLength(), trainer.config().truncation());
        }
        if (m.skipped()) {
            log.warn("Step {} skipped its update (non-finite gradients under loss scaling)", m.step());
        }
        return m;
    }

    @Override
    public Optional<DecoderModel> frozenInitialPolicy() {
        return trainer.frozenInitialPolicy();
    }

    /** The model's chat format (from its tokenizer: the checkpoint's own tokenizer_config.json after a restore). */
    @Override
    public PairTexts texts() {
        return texts;
    }

    /** Precision, and the hyperparameters changed on restores of this lineage (when any). */
    @Override
    public Map<String, String> manifestProperties() {
        Map<String, String> p = new java.util.LinkedHashMap<>();
        p.put("precision", trainer.config().precision().name());
        if (trainer.config().lora().enabled()) {
            // the checkpoint is a PEFT adapter directory; its base is referenced in trainer-state/base.json
            p.put(FORMAT, FORMAT_PEFT_LORA);
            p.put("lora", trainer.config().lora().describe());
        }
        p.put(CHAT_TEMPLATE, texts.format().templateText()
                .map(t -> "sha256:" + dev.prefstream.checkpoint.format.Sha256.of(t.getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .orElse("built-in"));
        if (!trainer.overrides().isEmpty()) {
            p.put(HYPERPARAMETER_OVERRIDES, SettingChange.describe(trainer.overrides()));
        }
        return p;
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
