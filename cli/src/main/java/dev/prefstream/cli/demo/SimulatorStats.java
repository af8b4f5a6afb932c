package dev.prefstream.cli.demo;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/** Live counters of the chat simulator (read by the terminal view and the report; written by the simulator thread). */
public final class SimulatorStats {

    final AtomicLong conversations = new AtomicLong();
    final AtomicLong answers = new AtomicLong();
    final AtomicLong ratings = new AtomicLong();
    final AtomicLong thumbs = new AtomicLong();
    final AtomicLong duplicates = new AtomicLong();
    final AtomicLong comparisons = new AtomicLong();
    final AtomicLong rankings = new AtomicLong();
    final AtomicLong garbage = new AtomicLong();
    final AtomicLong skippedConversations = new AtomicLong();
    final AtomicLong swaps = new AtomicLong();
    final AtomicReference<String> servedVersion = new AtomicReference<>("base");
    private final double[] recent = new double[256];
    private long recentCount;

    /** Conversations simulated. */
    public long conversations() {
        return conversations.get();
    }

    /** AI-judge rating events sent. */
    public long ratings() {
        return ratings.get();
    }

    /** Thumbs events sent (duplicates not counted). */
    public long thumbs() {
        return thumbs.get();
    }

    /** Thumbs events sent a second time. */
    public long duplicates() {
        return duplicates.get();
    }

    /** Human A/B comparison events sent. */
    public long comparisons() {
        return comparisons.get();
    }

    /** Human ranking events sent. */
    public long rankings() {
        return rankings.get();
    }

    /** Records sent that are not in the wire format. */
    public long garbage() {
        return garbage.get();
    }

    /** Conversations with fewer than two distinct non-empty answers (nothing to prefer; no event sent). */
    public long skippedConversations() {
        return skippedConversations.get();
    }

    /** Times the simulator switched to a newer promoted checkpoint. */
    public long swaps() {
        return swaps.get();
    }

    /** The version being served ("base" until the first promoted checkpoint arrives). */
    public String servedVersion() {
        return servedVersion.get();
    }

    synchronized void recordReward(double r) {
        recent[(int) (recentCount++ % recent.length)] = r;
    }

    /** Mean judge reward of the most recent answers served (up to 256), NaN before any. */
    public synchronized double recentReward() {
        int n = (int) Math.min(recentCount, recent.length);
        if (n == 0) {
            return Double.NaN;
        }
        double s = 0;
        for (int i = 0; i < n; i++) {
            s += recent[i];
        }
        return s / n;
    }

    /** Resets the recent-reward window (after a model swap, so it describes the new model). */
    synchronized void resetRecent() {
        recentCount = 0;
    }
}
