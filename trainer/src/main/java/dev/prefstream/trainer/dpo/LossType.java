package dev.prefstream.trainer.dpo;

import java.util.Locale;

/**
 * DPO loss variants, named as TRL's {@code DPOConfig.loss_type}. Formulas (z = policy/reference log-ratio margin
 * {@code (pc - rc) - (pr - rr)}, b = beta, ls = label smoothing) are documented on {@link DpoLosses}.
 */
public enum LossType {
    /** DPO; with label smoothing &gt; 0 this is conservative DPO (cDPO). */
    SIGMOID("sigmoid"),
    /** Robust DPO (unbiased under label noise ls). */
    ROBUST("robust"),
    /** RSO hinge loss. */
    HINGE("hinge"),
    /** IPO on per-token mean log-ratios. */
    IPO("ipo"),
    /** EXO (reverse KL to the smoothed label distribution); needs ls &gt; 0. */
    EXO_PAIR("exo_pair"),
    /** Noise contrastive alignment, pairwise. */
    NCA_PAIR("nca_pair"),
    /** Binary classifier optimisation with a running reward-mean shift. */
    BCO_PAIR("bco_pair"),
    /** SPPO with hard (0/1) win probabilities. */
    SPPO_HARD("sppo_hard"),
    /** APO-zero: raise chosen, lower rejected likelihood. */
    APO_ZERO("apo_zero"),
    /** APO-down: lower both, rejected more. */
    APO_DOWN("apo_down"),
    /** DiscoPOP log-ratio modulated loss (uses discopopTau). */
    DISCOPOP("discopop"),
    /** Negative log-likelihood of the chosen responses (token mean over the batch), as in MPO/RPO mixes. */
    SFT("sft");

    private final String trlName;

    LossType(String trlName) {
        this.trlName = trlName;
    }

    /** TRL's name of this loss. */
    public String trlName() {
        return trlName;
    }

    /** Parses a TRL loss name ("sigmoid", "apo_zero", ...). */
    public static LossType parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (LossType t : values()) {
            if (t.trlName.equals(n)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown DPO loss type '" + name + "'; known: "
                + java.util.Arrays.stream(values()).map(LossType::trlName).toList());
    }
}
