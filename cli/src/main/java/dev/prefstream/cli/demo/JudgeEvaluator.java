package dev.prefstream.cli.demo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.model.Generation;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.model.SequenceLogProbs;
import dev.prefstream.trainer.optim.NoGrad;
import dev.prefstream.trainer.tokenizer.TextTokenizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Measures a policy the way the demo's claim is stated: mean judge reward of answers SAMPLED (same temperature as
 * served, same seed for every policy, so base and final face identical random draws) on the held-out prompts, and
 * the KL divergence from the base policy estimated on those same samples: mean over answers y ~ policy of
 * log policy(y|x) - log base(y|x) (sequence level, EOS included) - the x axis of the DPO paper's reward/KL frontier.
 */
public final class JudgeEvaluator {

    /**
     * @param samplesPerPrompt answers sampled per held-out prompt
     * @param temperature      sampling temperature (the served one)
     * @param maxNewTokens     longest answer
     * @param seed             the sampler seed used for every policy evaluated
     */
    public record Settings(int samplesPerPrompt, double temperature, int maxNewTokens, long seed) {
        public Settings {
            if (samplesPerPrompt < 1 || !(temperature > 0) || maxNewTokens < 1) {
                throw new IllegalArgumentException("need samplesPerPrompt >= 1, temperature > 0, maxNewTokens >= 1");
            }
        }
    }

    /** One policy's scores. */
    public record Evaluation(double meanReward, double exactRate, double klToBase, int answers,
                             List<String> firstAnswers, double[] perPromptReward) {
    }

    private final List<TaskPrompt> prompts;
    private final LetterCountJudge judge;
    private final Settings settings;

    public JudgeEvaluator(List<TaskPrompt> heldOut, LetterCountJudge judge, Settings settings) {
        this.prompts = List.copyOf(heldOut);
        this.judge = judge;
        this.settings = settings;
    }

    public Settings settings() {
        return settings;
    }

    public List<TaskPrompt> prompts() {
        return prompts;
    }

    /** Evaluates {@code policy}; the KL is measured against {@code base} (0 when they are the same object). */
    public Evaluation evaluate(LoadedModel policy, LoadedModel base) {
        int k = settings.samplesPerPrompt();
        List<Generation> out = new PolicySampler(policy.model(), policy.tokenizer())
                .generate(prompts, k, settings.maxNewTokens(), settings.temperature(), settings.seed());
        TextTokenizer tok = policy.tokenizer();
        double sum = 0;
        int exact = 0;
        List<String> first = new ArrayList<>();
        double[] perPrompt = new double[prompts.size()];
        for (int i = 0; i < out.size(); i++) {
            TaskPrompt p = prompts.get(i / k);
            String text = tok.decode(out.get(i).tokens());
            double r = judge.reward(p, text);
            sum += r;
            perPrompt[i / k] += r / k;
            if (r >= 1.0) {
                exact++;
            }
            if (i % k == 0) {
                first.add(text);
            }
        }
        double kl = policy == base ? 0.0 : klEstimate(policy, base, out);
        return new Evaluation(sum / out.size(), (double) exact / out.size(), kl, out.size(), first, perPrompt);
    }

    private double klEstimate(LoadedModel policy, LoadedModel base, List<Generation> out) {
        int k = settings.samplesPerPrompt();
        long eos = policy.tokenizer().eosId();
        long[][] rows = new long[out.size()][];
        int[] promptLength = new int[out.size()];
        int width = 0;
        for (int i = 0; i < out.size(); i++) {
            long[] p = policy.tokenizer().encode(prompts.get(i / k).rendered());
            Generation g = out.get(i);
            long[] row = Arrays.copyOf(p, p.length + g.tokens().length + (g.stoppedAtEos() ? 1 : 0));
            System.arraycopy(g.tokens(), 0, row, p.length, g.tokens().length);
            if (g.stoppedAtEos()) {
                row[row.length - 1] = eos;
            }
            rows[i] = row;
            promptLength[i] = p.length;
            width = Math.max(width, row.length);
        }
        long[] ids = new long[rows.length * width];
        long[] attention = new long[ids.length];
        float[] mask = new float[ids.length];
        Arrays.fill(ids, eos);
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, ids, i * width, rows[i].length);
            Arrays.fill(attention, i * width, i * width + rows[i].length, 1L);
            Arrays.fill(mask, i * width + promptLength[i], i * width + rows[i].length, 1f);
        }
        Shape shape = new Shape(rows.length, width);
        try (NoGrad ignored = NoGrad.enter()) {
            float[] lp = sequenceLogps(policy.model(), ids, attention, mask, shape);
            float[] lb = sequenceLogps(base.model(), ids, attention, mask, shape);
            double s = 0;
            for (int i = 0; i < lp.length; i++) {
                s += lp[i] - lb[i];
            }
            return s / lp.length;
        }
    }

    private static float[] sequenceLogps(DecoderModel model, long[] ids, long[] attention, float[] mask, Shape shape) {
        try (NDManager scope = model.manager().newSubManager()) {
            NDArray idArr = scope.create(ids, shape);
            NDArray logits = model.forward(idArr, scope.create(attention, shape));
            return SequenceLogProbs.sumLogProbs(logits, idArr, scope.create(mask, shape)).toFloatArray();
        }
    }
}
