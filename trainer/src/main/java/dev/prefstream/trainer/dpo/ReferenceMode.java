package dev.prefstream.trainer.dpo;

import java.util.Locale;

/** How the DPO reference policy evolves during (iterative) training. */
public enum ReferenceMode {
    /** The initial policy, for the whole run. */
    FIXED,
    /** Hard copy of the current policy at every iteration boundary (iterative / online DPO). */
    REFRESH,
    /** TR-DPO soft update every k steps: ref = alpha * policy + (1 - alpha) * ref. */
    TR_DPO;

    /** Parses "fixed", "refresh", "tr_dpo" (or "tr-dpo"). */
    public static ReferenceMode parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown reference mode '" + s + "', expected fixed, refresh or tr_dpo");
        }
    }
}
