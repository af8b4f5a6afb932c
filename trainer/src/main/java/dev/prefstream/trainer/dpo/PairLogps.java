package dev.prefstream.trainer.dpo;

import ai.djl.ndarray.NDArray;

/**
 * The inputs of every DPO loss for a batch of B pairs: float32 [B] arrays on one device.
 *
 * @param policyChosen      summed log-prob of each chosen response under the policy (differentiable)
 * @param policyRejected    same for the rejected responses
 * @param referenceChosen   summed log-prob of each chosen response under the reference (constant)
 * @param referenceRejected same for the rejected responses
 * @param chosenTokens      number of response tokens of each chosen sequence (for IPO's per-token mean and SFT)
 * @param rejectedTokens    same for the rejected sequences
 * @param chosenWeights     WPO weight of each chosen response (detached), or null when WPO is off
 * @param rejectedWeights   WPO weight of each rejected response (detached), or null when WPO is off
 */
public record PairLogps(NDArray policyChosen, NDArray policyRejected, NDArray referenceChosen,
                        NDArray referenceRejected, NDArray chosenTokens, NDArray rejectedTokens,
                        NDArray chosenWeights, NDArray rejectedWeights) {

    public PairLogps {
        long b = policyChosen.getShape().size();
        check("policyRejected", policyRejected, b);
        check("referenceChosen", referenceChosen, b);
        check("referenceRejected", referenceRejected, b);
        check("chosenTokens", chosenTokens, b);
        check("rejectedTokens", rejectedTokens, b);
        if ((chosenWeights == null) != (rejectedWeights == null)) {
            throw new IllegalArgumentException("WPO weights must be given for both chosen and rejected, or neither");
        }
        if (chosenWeights != null) {
            check("chosenWeights", chosenWeights, b);
            check("rejectedWeights", rejectedWeights, b);
        }
    }

    /** Without WPO weights. */
    public PairLogps(NDArray policyChosen, NDArray policyRejected, NDArray referenceChosen,
                     NDArray referenceRejected, NDArray chosenTokens, NDArray rejectedTokens) {
        this(policyChosen, policyRejected, referenceChosen, referenceRejected, chosenTokens, rejectedTokens,
                null, null);
    }

    /** Number of pairs. */
    public int batchSize() {
        return Math.toIntExact(policyChosen.getShape().size());
    }

    private static void check(String name, NDArray a, long b) {
        if (a == null) {
            throw new IllegalArgumentException(name + " is required");
        }
        if (a.getShape().dimension() != 1 || a.getShape().size() != b) {
            throw new IllegalArgumentException(name + " must have shape [" + b + "], got " + a.getShape());
        }
    }
}
