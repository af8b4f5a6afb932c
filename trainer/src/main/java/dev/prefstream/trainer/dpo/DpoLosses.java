package dev.prefstream.trainer.dpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.nn.Activation;
import dev.prefstream.trainer.optim.ScalarArrays;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * DPO losses as pure functions of the four log-prob arrays, following TRL's {@code DPOTrainer} formulas.
 * Notation: {@code cl = pc - rc}, {@code rl = pr - rr} (policy minus reference log-prob of the chosen and the
 * rejected response), {@code z = cl - rl}, {@code b} = beta, {@code e} = label smoothing,
 * {@code ls} = log-sigmoid, {@code s} = sigmoid. Per pair:
 * <ul>
 *   <li>sigmoid: {@code -(1-e) ls(b z) - e ls(-b z)} (e &gt; 0 is conservative DPO; TRL &le; 0.19 semantics)</li>
 *   <li>robust: {@code (-(1-e) ls(b z) + e ls(-b z)) / (1 - 2e)}</li>
 *   <li>hinge: {@code relu(1 - b z)}</li>
 *   <li>ipo: {@code (cl/nc - rl/nr - 1/(2b))^2}, nc/nr = response token counts (per-token mean log-ratios)</li>
 *   <li>exo_pair: {@code s(bz)(ls(bz) - log(1-e)) + s(-bz)(ls(-bz) - log e)}</li>
 *   <li>nca_pair: {@code -ls(b cl) - ls(-b cl)/2 - ls(-b rl)/2}</li>
 *   <li>bco_pair: {@code -ls(b cl - d) - ls(-(b rl - d))}, d = running mean of batch reward means
 *       ({@link RewardBaseline}, updated with this batch first)</li>
 *   <li>sppo_hard: {@code (cl - 1/(2b))^2 + (rl + 1/(2b))^2}</li>
 *   <li>apo_zero: {@code 1 - s(b cl) + s(b rl)}; apo_down: {@code s(b cl) + 1 - s(b z)}</li>
 *   <li>discopop: {@code -ls(bz) (1 - m) + exp(-bz) m}, {@code m = s(bz / tau)}</li>
 *   <li>sft: token-mean NLL of the chosen responses over the batch, {@code -sum(pc) / sum(nc)} (same value for
 *       every pair)</li>
 * </ul>
 * The total is {@code sum_k weight_k * mean_pairs(loss_k)}; with WPO every per-pair loss is first multiplied by
 * the detached weights {@code w_chosen * w_rejected}.
 *
 * <p>All results are attached to the manager of {@link PairLogps#policyChosen()} (the caller's per-step scope);
 * scalars come from {@code scalars} (0-dim CPU arrays) and are never the receiver of an op.
 */
public final class DpoLosses {

    private DpoLosses() {
    }

    /**
     * @param loss       0-dim total loss (differentiable w.r.t. the policy log-probs)
     * @param perExample unweighted per-pair loss [B] of each configured type
     */
    public record Output(NDArray loss, Map<LossType, NDArray> perExample) {
    }

    /**
     * Computes every configured loss and their weighted sum.
     *
     * @param baseline running reward mean, used (and updated) only by bco_pair; may be null otherwise
     */
    public static Output compute(PairLogps x, DpoConfig config, RewardBaseline baseline, ScalarArrays scalars) {
        return compute(x, config, baseline, scalars, null);
    }

    /**
     * Same, with per-pair weights [B] (e.g. judge confidence) multiplying every per-pair loss before the mean;
     * null means all 1.
     */
    public static Output compute(PairLogps x, DpoConfig config, RewardBaseline baseline, ScalarArrays scalars,
                                 NDArray pairWeights) {
        Map<LossType, NDArray> per = new EnumMap<>(LossType.class);
        NDArray total = null;
        List<LossType> types = config.lossTypes();
        for (int i = 0; i < types.size(); i++) {
            LossType type = types.get(i);
            NDArray l = perExample(type, x, config, baseline, scalars);
            per.put(type, l);
            NDArray weighted = l;
            if (config.useWeighting()) {
                if (x.chosenWeights() == null) {
                    throw new IllegalArgumentException("WPO weighting is on but the batch has no WPO weights");
                }
                weighted = l.mul(x.chosenWeights().stopGradient()).mul(x.rejectedWeights().stopGradient());
            }
            if (pairWeights != null) {
                weighted = weighted.mul(pairWeights);
            }
            NDArray term = weighted.mean().mul(scalars.of(config.lossWeights().get(i)));
            total = total == null ? term : total.add(term);
        }
        return new Output(total, per);
    }

    /** Per-pair loss [B] of one type (no WPO weighting, no loss weight). */
    public static NDArray perExample(LossType type, PairLogps x, DpoConfig c, RewardBaseline baseline,
                                     ScalarArrays s) {
        double b = c.beta();
        double e = c.labelSmoothing();
        NDArray cl = x.policyChosen().sub(x.referenceChosen());
        NDArray rl = x.policyRejected().sub(x.referenceRejected());
        NDArray bz = cl.sub(rl).mul(s.of(b));
        return switch (type) {
            case SIGMOID -> {
                NDArray loss = logSigmoid(bz).neg();
                yield e == 0 ? loss
                        : loss.mul(s.of(1 - e)).sub(logSigmoid(bz.neg()).mul(s.of(e)));
            }
            case ROBUST -> logSigmoid(bz).mul(s.of(-(1 - e))).add(logSigmoid(bz.neg()).mul(s.of(e)))
                    .div(s.of(1 - 2 * e));
            case HINGE -> Activation.relu(bz.neg().add(s.of(1.0)));
            case IPO -> {
                NDArray nc = x.chosenTokens().maximum(s.of(1.0));
                NDArray nr = x.rejectedTokens().maximum(s.of(1.0));
                NDArray delta = cl.div(nc).sub(rl.div(nr));
                yield delta.sub(s.of(1 / (2 * b))).square();
            }
            case EXO_PAIR -> {
                NDArray qw = Activation.sigmoid(bz);
                NDArray ql = Activation.sigmoid(bz.neg());
                NDArray a = qw.mul(logSigmoid(bz).sub(s.of(Math.log1p(-e))));
                NDArray r = ql.mul(logSigmoid(bz.neg()).sub(s.of(Math.log(e))));
                yield a.add(r);
            }
            case NCA_PAIR -> {
                NDArray cr = cl.mul(s.of(b));
                NDArray rr = rl.mul(s.of(b));
                yield logSigmoid(cr).neg()
                        .sub(logSigmoid(cr.neg()).mul(s.of(0.5)))
                        .sub(logSigmoid(rr.neg()).mul(s.of(0.5)));
            }
            case BCO_PAIR -> {
                if (baseline == null) {
                    throw new IllegalArgumentException("bco_pair needs a RewardBaseline");
                }
                NDArray cr = cl.mul(s.of(b));
                NDArray rr = rl.mul(s.of(b));
                NDArray batchMean = NDArrays.concat(new ai.djl.ndarray.NDList(cr.stopGradient(), rr.stopGradient()))
                        .mean();
                NDArray delta = baseline.update(batchMean, s);
                yield logSigmoid(cr.sub(delta)).neg().sub(logSigmoid(rr.sub(delta).neg()));
            }
            case SPPO_HARD -> cl.sub(s.of(0.5 / b)).square().add(rl.add(s.of(0.5 / b)).square());
            case APO_ZERO -> Activation.sigmoid(cl.mul(s.of(b))).neg().add(s.of(1.0))
                    .add(Activation.sigmoid(rl.mul(s.of(b))));
            case APO_DOWN -> Activation.sigmoid(cl.mul(s.of(b))).add(s.of(1.0)).sub(Activation.sigmoid(bz));
            case DISCOPOP -> {
                NDArray modulation = Activation.sigmoid(bz.div(s.of(c.discopopTau())));
                NDArray logistic = logSigmoid(bz).neg();
                NDArray exponential = bz.neg().exp();
                yield logistic.mul(modulation.neg().add(s.of(1.0))).add(exponential.mul(modulation));
            }
            case SFT -> {
                NDArray nll = x.policyChosen().sum().neg().div(x.chosenTokens().sum().maximum(s.of(1.0)));
                yield x.policyChosen().zerosLike().add(nll);
            }
        };
    }

    /** Numerically stable log(sigmoid(a)) = -softplus(-a); result in a's manager. */
    static NDArray logSigmoid(NDArray a) {
        return Activation.softPlus(a.neg()).neg();
    }
}
