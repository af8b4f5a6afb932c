package dev.prefstream.cli.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import dev.prefstream.publisher.GateConfig;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Writes the demo's report directory: {@code summary.json}, {@code summary.txt} (which says plainly whether the
 * policy improved), and three PNG plots - training loss and accuracy over steps, judge reward per checkpoint, and
 * judge reward versus KL from the base policy (the DPO paper's frontier plot).
 */
public final class DemoReport {

    public static final String SUMMARY_JSON = "summary.json";
    public static final String SUMMARY_TXT = "summary.txt";
    public static final String TRAINING_PNG = "training_curves.png";
    public static final String REWARD_PNG = "judge_reward.png";
    public static final String FRONTIER_PNG = "reward_vs_kl.png";

    private static final Color BLUE = new Color(31, 119, 180);
    private static final Color ORANGE = new Color(255, 127, 14);
    private static final Color GREEN = new Color(44, 160, 44);
    private static final Color RED = new Color(214, 39, 40);
    private static final Color GREY = new Color(120, 120, 120);

    private DemoReport() {
    }

    /** Writes every file into {@code dir} (created if needed) and returns the files written; no gate notes. */
    public static List<Path> write(Path dir, DemoSummary summary, RunHistory history) {
        return write(dir, summary, history, "");
    }

    /**
     * How to read the checkpoint table: what each column measures, on which data, and how the demo's gate is set
     * (and why it differs from the production defaults). Two numbers called KL and two held-out accuracies for one
     * checkpoint could not be followed without it.
     */
    public static String legend(GateConfig demoGate, GateConfig defaults, int gateKlAnswers, int judgePrompts, int judgeSamples) {
        return String.format(Locale.ROOT, """
                How to read the table
                ---------------------
                acc       rewards/accuracies of the last training batch: share of its pairs whose chosen answer the
                          policy's implicit DPO reward prefers (training data: it rises first and says little alone).
                heldout   the same share on held-out pairs the trainer never trains on, measured by the publisher:
                          the number the gate compares. The held-out sample grows while feedback arrives.
                judge     mean judge reward (0..1) of answers sampled on the %d held-out prompts (%d per prompt):
                          the demo's own measure, the one the RESULT line compares.
                KL        KL from the base policy in nats per answer, estimated on those same judge samples.
                reason    the gate's verdict with every number it compared: the held-out accuracy; the bar, i.e. the
                          best promoted checkpoint scored again on the same held-out pairs (so it can differ from the
                          heldout number in that checkpoint's own row, measured on a smaller sample); and the gate KL,
                          a separate estimate from %d sampled answers, bounded by the gate, which differs from the KL
                          column (other prompts, other samples).

                The demo's gate: the first promotion needs held-out accuracy >= %.2f on at least %d pairs; later ones
                >= the best promoted minus %.2f; gate KL <= %.1f. The tolerance is %.2f here against the default %.2f
                (prefstream.publisher.accuracy-tolerance) because the demo's held-out set holds tens of pairs, where
                one pair moves accuracy by several points: a tight tolerance would reject checkpoints on noise. So
                held-out accuracy may drift down across promoted checkpoints, as long as each stays within %.2f of
                the best; the judge column shows whether answers got better.

                """, judgePrompts, judgeSamples, gateKlAnswers, demoGate.minAccuracy(), demoGate.minHeldOutPairs(),
                demoGate.accuracyTolerance(), demoGate.maxKl(), demoGate.accuracyTolerance(), defaults.accuracyTolerance(),
                demoGate.accuracyTolerance());
    }

    /** Writes every file into {@code dir} (created if needed), the legend after the checkpoint table, and returns the files written. */
    public static List<Path> write(Path dir, DemoSummary summary, RunHistory history, String legend) {
        try {
            Files.createDirectories(dir);
            Path json = dir.resolve(SUMMARY_JSON);
            Files.write(json, json(summary));
            Path txt = dir.resolve(SUMMARY_TXT);
            Files.writeString(txt, text(summary, history, legend), StandardCharsets.UTF_8);
            Path training = dir.resolve(TRAINING_PNG);
            trainingCurves(history, training);
            Path reward = dir.resolve(REWARD_PNG);
            rewardPerCheckpoint(summary, history).writePng(reward);
            Path frontier = dir.resolve(FRONTIER_PNG);
            frontier(summary, history).writePng(frontier);
            return List.of(json, txt, training, reward, frontier);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + dir, e);
        }
    }

    static byte[] json(DemoSummary s) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("base_judge_reward", round(s.baseJudgeReward()));
        root.put("final_judge_reward", round(s.finalJudgeReward()));
        root.put("improvement", round(s.improvement()));
        root.put("improvement_std_error", round(s.improvementStdError()));
        root.put("improved", s.improved());
        root.put("base_exact_rate", round(s.baseExactRate()));
        root.put("final_exact_rate", round(s.finalExactRate()));
        root.put("final_kl_to_base", round(s.finalKlToBase()));
        root.put("final_version", s.finalVersion());
        root.put("checkpoints_total", s.checkpointsTotal());
        root.put("checkpoints_promoted", s.checkpointsPromoted());
        root.put("pairs_trained", s.pairsTrained());
        root.put("steps", s.steps());
        ObjectNode kinds = root.putObject("pairs_by_kind");
        s.pairsByKind().forEach(kinds::put);
        root.put("dlq_records", s.dlqRecords());
        ObjectNode events = root.putObject("events_sent");
        s.events().forEach(events::put);
        root.put("simulator_swaps", s.simulatorSwaps());
        root.put("minutes", round(s.minutes()));
        ObjectNode eval = root.putObject("evaluation");
        eval.put("held_out_prompts", s.heldOutPrompts());
        eval.put("samples_per_prompt", s.samplesPerPrompt());
        eval.put("temperature", s.temperature());
        ArrayNode sbs = root.putArray("side_by_side");
        for (DemoSummary.SideBySide x : s.sideBySide()) {
            ObjectNode o = sbs.addObject();
            o.put("prompt", x.prompt());
            o.put("base_answer", x.baseAnswer());
            o.put("base_reward", round(x.baseReward()));
            o.put("final_answer", x.finalAnswer());
            o.put("final_reward", round(x.finalReward()));
        }
        return mapper.writeValueAsBytes(root);
    }

    static String text(DemoSummary s, RunHistory history) {
        return text(s, history, "");
    }

    static String text(DemoSummary s, RunHistory history, String legend) {
        StringBuilder b = new StringBuilder();
        b.append("prefstream demo report\n======================\n\n");
        if (s.improved()) {
            b.append(String.format(Locale.ROOT, "RESULT: the policy IMPROVED. Judge reward on %d held-out prompts went from %.3f (base) to %.3f (%s), +%.3f (std error %.3f).%n",
                    s.heldOutPrompts(), s.baseJudgeReward(), s.finalJudgeReward(), s.finalVersion(), s.improvement(), s.improvementStdError()));
        } else {
            b.append(String.format(Locale.ROOT, "RESULT: NO CLEAR IMPROVEMENT. Judge reward on %d held-out prompts: base %.3f, final (%s) %.3f, difference %+.3f (std error %.3f).%n",
                    s.heldOutPrompts(), s.baseJudgeReward(), s.finalVersion(), s.finalJudgeReward(), s.improvement(), s.improvementStdError()));
        }
        b.append(String.format(Locale.ROOT, "Perfect answers: %.1f%% -> %.1f%%; KL of the final policy from the base: %.3f nats.%n",
                100 * s.baseExactRate(), 100 * s.finalExactRate(), s.finalKlToBase()));
        b.append(String.format(Locale.ROOT, "Measured on %d answers per policy (%d held-out prompts x %d samples, temperature %.2f, same seed for both).%n%n",
                s.heldOutPrompts() * s.samplesPerPrompt(), s.heldOutPrompts(), s.samplesPerPrompt(), s.temperature()));
        b.append(String.format(Locale.ROOT, "This run: %.1f minutes, the simulator hot-swapped to a newer promoted checkpoint %d times.%n",
                s.minutes(), s.simulatorSwaps()));
        b.append(String.format(Locale.ROOT, "In this data directory so far: %d optimizer steps, %d pairs trained, %d checkpoints (%d promoted).%n",
                s.steps(), s.pairsTrained(), s.checkpointsTotal(), s.checkpointsPromoted()));
        b.append("Events sent this run: ").append(s.events()).append('\n');
        b.append("Pairs on preference-pairs by kind: ").append(s.pairsByKind()).append("; dead-lettered records: ").append(s.dlqRecords()).append("\n\n");
        b.append("Checkpoints\n-----------\n");
        b.append(String.format(Locale.ROOT, "%-28s %6s %7s %7s %6s %8s %8s %7s %7s  %s%n", "version", "step", "pairs", "loss", "acc",
                "heldout", "judge", "KL", "status", "reason"));
        for (RunHistory.CheckpointPoint c : history.checkpoints()) {
            b.append(String.format(Locale.ROOT, "%-28s %6d %7d %7.4f %6.2f %8.3f %8.3f %7.3f %7s  %s%n", c.version(), c.step(), c.pairsTrained(),
                    c.loss(), c.accuracy(), c.heldOutAccuracy(), c.judgeReward(), c.klToBase(), c.status(), c.reason() == null ? "" : c.reason()));
        }
        b.append('\n').append(legend);
        b.append("Held-out prompts, base vs final policy (first sampled answer, judge reward)\n");
        b.append("---------------------------------------------------------------------------\n");
        for (DemoSummary.SideBySide x : s.sideBySide()) {
            b.append(String.format(Locale.ROOT, "%-40s base: %-14s (%.2f)   final: %-14s (%.2f)%n", x.prompt(), quote(x.baseAnswer()),
                    x.baseReward(), quote(x.finalAnswer()), x.finalReward()));
        }
        b.append("\nPlots: ").append(TRAINING_PNG).append(", ").append(REWARD_PNG).append(", ").append(FRONTIER_PNG).append('\n');
        return b.toString();
    }

    /**
     * An answer in quotes, one line, every character visible: the byte-level sampler can stop inside a UTF-8
     * sequence, which decodes to U+FFFD and printed as an unexplained box; it and control characters are shown as
     * Java escapes ({@code \ufffd}, {@code \t}, {@code \n}).
     */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(c -> {
            switch (c) {
                case '\n' -> b.append("\\n");
                case '\t' -> b.append("\\t");
                case '\r' -> b.append("\\r");
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                default -> {
                    if (c == 0xFFFD || Character.isISOControl(c)) {
                        b.append(String.format(Locale.ROOT, "\\u%04x", c));
                    } else {
                        b.appendCodePoint(c);
                    }
                }
            }
        });
        return b.append('"').toString();
    }

    private static void trainingCurves(RunHistory history, Path file) throws IOException {
        List<RunHistory.StepPoint> steps = history.steps();
        double[] x = new double[steps.size()];
        double[] loss = new double[steps.size()];
        double[] acc = new double[steps.size()];
        for (int i = 0; i < steps.size(); i++) {
            x[i] = steps.get(i).step();
            loss[i] = steps.get(i).loss();
            acc[i] = steps.get(i).accuracy();
        }
        LinePlot top = new LinePlot("DPO training loss per step", "optimizer step", "loss")
                .add(new LinePlot.Series("loss", new Color(31, 119, 180, 90), LinePlot.Style.LINE, x, loss))
                .add(new LinePlot.Series("loss (moving mean of 10)", BLUE, LinePlot.Style.LINE, x, movingMean(loss, 10)));
        LinePlot bottom = new LinePlot("Implicit reward accuracy per step (rewards/accuracies)", "optimizer step", "accuracy")
                .add(new LinePlot.Series("accuracy", new Color(255, 127, 14, 90), LinePlot.Style.LINE, x, acc))
                .add(new LinePlot.Series("accuracy (moving mean of 10)", ORANGE, LinePlot.Style.LINE, x, movingMean(acc, 10)));
        BufferedImage a = top.render();
        BufferedImage b = bottom.render();
        BufferedImage both = new BufferedImage(a.getWidth(), a.getHeight() + b.getHeight(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = both.createGraphics();
        try {
            g.drawImage(a, 0, 0, null);
            g.drawImage(b, 0, a.getHeight(), null);
        } finally {
            g.dispose();
        }
        if (!ImageIO.write(both, "png", file.toFile())) {
            throw new IOException("no PNG writer available");
        }
    }

    private static LinePlot rewardPerCheckpoint(DemoSummary s, RunHistory history) {
        List<RunHistory.CheckpointPoint> cps = history.checkpoints();
        double[] px = new double[cps.size() + 1];
        double[] py = new double[cps.size() + 1];
        double[] rx = new double[cps.size()];
        double[] ry = new double[cps.size()];
        px[0] = 0;
        py[0] = s.baseJudgeReward();
        int p = 1;
        int r = 0;
        for (RunHistory.CheckpointPoint c : cps) {
            if (c.promoted()) {
                px[p] = c.step();
                py[p++] = c.judgeReward();
            } else {
                rx[r] = c.step();
                ry[r++] = c.judgeReward();
            }
        }
        return new LinePlot("Judge reward of sampled answers on held-out prompts, per checkpoint", "optimizer step", "mean judge reward")
                .reference(new LinePlot.Reference(String.format(Locale.ROOT, "base policy %.3f", s.baseJudgeReward()), GREY, s.baseJudgeReward()))
                .add(new LinePlot.Series("promoted", GREEN, LinePlot.Style.LINE_AND_MARKERS, java.util.Arrays.copyOf(px, p), java.util.Arrays.copyOf(py, p)))
                .add(new LinePlot.Series("rejected", RED, LinePlot.Style.MARKERS, java.util.Arrays.copyOf(rx, r), java.util.Arrays.copyOf(ry, r)));
    }

    private static LinePlot frontier(DemoSummary s, RunHistory history) {
        List<RunHistory.CheckpointPoint> cps = history.checkpoints();
        double[] x = new double[cps.size() + 1];
        double[] y = new double[cps.size() + 1];
        String[] labels = new String[cps.size() + 1];
        x[0] = 0;
        y[0] = s.baseJudgeReward();
        for (int i = 0; i < cps.size(); i++) {
            x[i + 1] = cps.get(i).klToBase();
            y[i + 1] = cps.get(i).judgeReward();
            labels[i + 1] = "step " + cps.get(i).step() + (cps.get(i).promoted() ? "" : " (rejected)");
        }
        return new LinePlot("Reward vs KL from the base policy (each point a checkpoint)", "KL(policy || base), nats per answer", "mean judge reward")
                .reference(new LinePlot.Reference("base policy", GREY, s.baseJudgeReward()))
                .add(new LinePlot.Series("checkpoints in training order", BLUE, LinePlot.Style.LINE_AND_MARKERS, x, y, labels));
    }

    static double[] movingMean(double[] v, int window) {
        double[] out = new double[v.length];
        double sum = 0;
        int n = 0;
        for (int i = 0; i < v.length; i++) {
            if (Double.isFinite(v[i])) {
                sum += v[i];
                n++;
            }
            if (i >= window && Double.isFinite(v[i - window])) {
                sum -= v[i - window];
                n--;
            }
            out[i] = n == 0 ? Double.NaN : sum / n;
        }
        return out;
    }

    private static double round(double v) {
        return Double.isFinite(v) ? Math.round(v * 10000) / 10000.0 : v;
    }

    /** The file names a complete report has. */
    public static List<String> fileNames() {
        return List.of(SUMMARY_JSON, SUMMARY_TXT, TRAINING_PNG, REWARD_PNG, FRONTIER_PNG);
    }

    /** Unused keys are fine; kept for callers that want the kinds in a stable order. */
    static Map<String, Long> ordered(Map<String, Long> m) {
        return new java.util.TreeMap<>(m);
    }
}
