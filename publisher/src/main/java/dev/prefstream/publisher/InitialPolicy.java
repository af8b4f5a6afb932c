package dev.prefstream.publisher;

import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.LoadedModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The initial policy candidates are compared with: the evaluator's own copy, or, where the publisher runs in the
 * trainer's process, the trainer's frozen reference, borrowed for one use at a time.
 *
 * <p>Why: with full fine-tuning the trainer already holds the policy and a frozen copy of the initial model (its
 * FIXED reference); an in-process publisher loading a third copy costs a whole model's weights for nothing (2 GB at
 * the Qwen2.5-0.5B shape in float32, 6 GB at 1.5B). The lender is asked anew on every use, because the trainer's
 * model exists only while its leadership term lasts; the evaluator runs on the training thread between steps (the
 * trainer calls its checkpoint listeners there), so a lent model is never read while the trainer writes it. When the
 * lender has nothing to lend (LoRA, whose reference is the policy's own base; REFRESH or TR-DPO, whose reference
 * moves away from the initial model; float16 weights; between terms), the own copy is loaded once and kept.
 * Whatever needs to change the model (a LoRA candidate's adapters attached to it) uses {@link #own()}.
 */
public final class InitialPolicy implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(InitialPolicy.class);

    private final Supplier<LoadedModel> loader;
    private final Supplier<Optional<DecoderModel>> lender;
    private LoadedModel own;
    private long borrowed;

    private InitialPolicy(LoadedModel own, Supplier<LoadedModel> loader, Supplier<Optional<DecoderModel>> lender) {
        this.own = own;
        this.loader = loader;
        this.lender = lender;
    }

    /** An initial policy already loaded (owned from now on: closed with this object). */
    public static InitialPolicy owned(LoadedModel model) {
        Objects.requireNonNull(model, "model");
        return new InitialPolicy(model, () -> model, Optional::empty);
    }

    /**
     * An initial policy that reads {@code lender}'s model while it offers one and otherwise loads its own copy with
     * {@code loader}, once, when first needed.
     */
    public static InitialPolicy borrowing(Supplier<Optional<DecoderModel>> lender, Supplier<LoadedModel> loader) {
        return new InitialPolicy(null, Objects.requireNonNull(loader, "loader"), Objects.requireNonNull(lender, "lender"));
    }

    /** The model to score with now, read-only: the lent one if offered (and no own copy exists yet), else the own copy. */
    public DecoderModel model() {
        if (own == null) {
            Optional<DecoderModel> lent = lender.get();
            if (lent.isPresent()) {
                borrowed++;
                return lent.get();
            }
        }
        return own().model();
    }

    /** The evaluator's own copy with its tokenizer (loaded now if it was not), which the caller may change and restore. */
    public LoadedModel own() {
        if (own == null) {
            log.info("Loading the initial policy for evaluation (no frozen copy of it to borrow from the trainer)");
            own = loader.get();
        }
        return own;
    }

    /** Whether an own copy has been loaded (false while every use borrowed the trainer's). */
    public boolean hasOwnCopy() {
        return own != null;
    }

    /** Uses that read the lent model. */
    public long borrowedUses() {
        return borrowed;
    }

    @Override
    public void close() {
        if (own != null) {
            own.close();
        }
    }
}
