package dev.prefstream.trainer.sft;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.SequenceLogProbs;
import dev.prefstream.trainer.optim.AdamW;
import dev.prefstream.trainer.optim.AdamWConfig;
import dev.prefstream.trainer.optim.GradientClipping;
import dev.prefstream.trainer.optim.LrSchedule;
import dev.prefstream.trainer.optim.ParameterGradients;
import dev.prefstream.trainer.optim.ScalarArrays;
import dev.prefstream.trainer.tokenizer.TextTokenizer;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * Supervised fine-tuning: minimises the mean negative log-likelihood of the response tokens (EOS included) given
 * the prompt, with AdamW, global-norm clipping and a warmup + cosine schedule. Used to make a base policy (the SFT
 * stage before DPO). Every array of a step lives in a per-step sub-manager closed at the end of the step.
 *
 * <p>The model is trained in place; the trainer switches its gradients on while open and off again on
 * {@link #close()} (it does not close the model). Not thread-safe; like every trainer, only one may be inside
 * {@link #step} per JVM at a time (DJL allows one collecting GradientCollector).
 */
public final class SftTrainer implements AutoCloseable {

    private final DecoderModel model;
    private final TextTokenizer tokenizer;
    private final SftConfig config;
    private final LinkedHashMap<String, NDArray> params;
    private final AdamW optimizer;
    private final LrSchedule schedule;
    private long step;

    /** A trainer for {@code model} (trained in place, not owned). */
    public SftTrainer(DecoderModel model, TextTokenizer tokenizer, SftConfig config) {
        this.model = model;
        this.tokenizer = tokenizer;
        this.config = config;
        this.params = model.parameters();
        this.optimizer = new AdamW(params, new AdamWConfig(0.9, 0.999, 1e-8, config.weightDecay()));
        this.schedule = new LrSchedule(LrSchedule.Kind.COSINE, config.learningRate(), config.warmupSteps(),
                config.totalSteps());
        model.setTrainable(true);
    }

    /** Steps taken so far. */
    public long steps() {
        return step;
    }

    /** One optimizer step on {@code batch}; returns the mean NLL per response token before the update. */
    public double step(List<SftExample> batch) {
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("an SFT step needs at least one example");
        }
        Rows rows = collate(batch);
        double lr = schedule.lrAt(step);
        double loss;
        try (NDManager scope = model.manager().newSubManager(); ScalarArrays scalars = ScalarArrays.perStep()) {
            Shape shape = new Shape(batch.size(), rows.width);
            NDArray ids = scope.create(rows.ids, shape);
            NDArray attention = scope.create(rows.attention, shape);
            NDArray mask = scope.create(rows.lossMask, shape);
            try (GradientCollector gc = model.manager().getEngine().newGradientCollector()) {
                NDArray logits = model.forward(ids, attention);
                NDArray tokenLogps = SequenceLogProbs.tokenLogProbs(logits, ids, mask);
                NDArray nll = tokenLogps.sum().mul(scalars.of(-1.0 / rows.responseTokens));
                gc.backward(nll);
                loss = nll.getFloat();
            }
            LinkedHashMap<String, NDArray> grads = ParameterGradients.views(params, scope);
            GradientClipping.clip(grads, config.clipNorm(), scope, scalars);
            optimizer.update(lr, grads, scope);
            ParameterGradients.release(params);
        }
        step++;
        return loss;
    }

    private record Rows(int width, long[] ids, long[] attention, float[] lossMask, long responseTokens) {
    }

    /** Right-padded rows prompt + response + EOS; the loss mask marks the response positions. */
    private Rows collate(List<SftExample> batch) {
        long eos = tokenizer.responseEndId();
        long[][] prompts = new long[batch.size()][];
        long[][] responses = new long[batch.size()][];
        int width = 0;
        for (int i = 0; i < batch.size(); i++) {
            long[] r = tokenizer.encode(batch.get(i).response());
            long[] withEos = Arrays.copyOf(r, r.length + 1);
            withEos[r.length] = eos;
            long[] p = tokenizer.encodePrompt(batch.get(i).prompt());
            if (withEos.length >= config.maxLength()) {
                throw new IllegalArgumentException("response of " + withEos.length + " tokens leaves no room for the prompt within "
                        + config.maxLength() + " tokens");
            }
            int room = config.maxLength() - withEos.length;
            if (p.length > room) {
                p = Arrays.copyOfRange(p, p.length - room, p.length); // keep the end: it holds the question
            }
            prompts[i] = p;
            responses[i] = withEos;
            width = Math.max(width, p.length + withEos.length);
        }
        long[] ids = new long[batch.size() * width];
        long[] attention = new long[ids.length];
        float[] mask = new float[ids.length];
        Arrays.fill(ids, eos);
        long tokens = 0;
        for (int i = 0; i < batch.size(); i++) {
            int off = i * width;
            System.arraycopy(prompts[i], 0, ids, off, prompts[i].length);
            System.arraycopy(responses[i], 0, ids, off + prompts[i].length, responses[i].length);
            int len = prompts[i].length + responses[i].length;
            Arrays.fill(attention, off, off + len, 1L);
            Arrays.fill(mask, off + prompts[i].length, off + len, 1f);
            tokens += responses[i].length;
        }
        return new Rows(width, ids, attention, mask, tokens);
    }

    /** Switches the model's gradients off again and frees the optimizer state. */
    @Override
    public void close() {
        optimizer.close();
        model.setTrainable(false);
    }
}
