package dev.prefstream.cli.demo;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The demo's live terminal view: phase headers, a progress bar redrawn in place (on a terminal; elsewhere, e.g. in
 * CI logs, a progress line every 30 seconds), and one line per checkpoint with what the trainer, the publisher and
 * the judge say about it. Thread-safe: checkpoint lines come from the evaluation thread, the bar from the main one.
 */
public final class DemoView {

    private static final int BAR = 28;

    private final PrintStream out;
    private final boolean interactive;
    private boolean barShown;
    private long lastPlainProgress;

    /**
     * @param out         where to draw
     * @param interactive redraw the bar in place with carriage returns (a terminal)
     */
    public DemoView(PrintStream out, boolean interactive) {
        this.out = out;
        this.interactive = interactive;
    }

    /** A view on stdout that redraws in place when stdout is a terminal. */
    public static DemoView onConsole() {
        return new DemoView(System.out, System.console() != null);
    }

    /** A section header, e.g. "[1/4] base policy". */
    public synchronized void phase(String text) {
        clearBar();
        out.println();
        out.println(text);
        out.flush();
    }

    /** A plain message line. */
    public synchronized void line(String text) {
        clearBar();
        out.println(text);
        out.flush();
    }

    /**
     * The header of the checkpoint table: acc is the last training batch's, held-out the publisher's (what the gate
     * compares), judge and judge-KL the demo's own measurement on sampled answers (README: "What the demo shows").
     */
    public synchronized void checkpointHeader() {
        line(String.format(Locale.ROOT, "  %6s %7s %7s %6s %7s %8s %7s %8s  %s", "step", "pairs", "loss", "acc", "margin",
                "held-out", "judge", "judge-KL", "verdict (the gate's numbers)"));
    }

    /** One checkpoint line, with the gate's reason, which names the numbers it compared. */
    public synchronized void checkpoint(RunHistory.CheckpointPoint c) {
        line(String.format(Locale.ROOT, "  %6d %7d %7.4f %6.2f %7.3f %8.3f %7.3f %8.3f  %s%s", c.step(), c.pairsTrained(), c.loss(),
                c.accuracy(), c.margin(), c.heldOutAccuracy(), c.judgeReward(), c.klToBase(), c.status(),
                c.reason() == null || c.reason().isEmpty() ? "" : " (" + c.reason() + ")"));
    }

    /** Redraws the progress bar with a status text. */
    public synchronized void progress(double fraction, String label, String status) {
        double f = Math.max(0, Math.min(1, fraction));
        int filled = (int) Math.round(f * BAR);
        String bar = "[" + "#".repeat(filled) + "-".repeat(BAR - filled) + "] " + String.format(Locale.ROOT, "%3.0f%%", f * 100)
                + " " + label + "  " + status;
        if (interactive) {
            out.print("\r\033[2K" + bar);
            barShown = true;
            out.flush();
        } else {
            long now = System.currentTimeMillis();
            if (now - lastPlainProgress >= 30_000 || f >= 1) {
                lastPlainProgress = now;
                out.println(bar);
                out.flush();
            }
        }
    }

    private void clearBar() {
        if (interactive && barShown) {
            out.print("\r\033[2K");
            barShown = false;
        }
    }

    /** Ends the bar's line. */
    public synchronized void endProgress() {
        if (interactive && barShown) {
            out.println();
            barShown = false;
        }
        out.flush();
    }

    /**
     * A number with two decimals, or "-" before there is one: the simulator's recent reward is NaN at the start and
     * right after each hot-swap, which the bar showed as "reward NaN".
     */
    static String orDash(double value) {
        return Double.isNaN(value) ? "-" : String.format(Locale.ROOT, "%.2f", value);
    }

    /** mm:ss. */
    static String clock(long millis) {
        long s = Math.max(0, millis / 1000);
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
