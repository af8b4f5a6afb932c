package dev.prefstream.cli.demo;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.checkpoint.format.DurableFiles;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the demo observed during the run, for the live view and the report. Thread-safe. */
public final class RunHistory {

    private static final Logger LOG = LoggerFactory.getLogger(RunHistory.class);

    /** One optimizer step of the streaming trainer. */
    public record StepPoint(long step, double loss, double accuracy, double margin) {
    }

    /**
     * One checkpoint as the publisher judged it and the demo measured it.
     *
     * @param version         checkpoint version
     * @param step            optimizer step
     * @param pairsTrained    pairs trained up to it
     * @param loss            training loss of its last step
     * @param accuracy        rewards/accuracies of its last step
     * @param margin          rewards/margins of its last step
     * @param heldOutAccuracy the publisher's held-out preference accuracy
     * @param publisherKl     the publisher's KL estimate from the initial policy
     * @param status          PROMOTED or REJECTED
     * @param reason          the gate's reason
     * @param judgeReward     judge reward of answers sampled on held-out prompts (NaN if not measured)
     * @param exactRate       share of those answers that were perfect
     * @param klToBase        KL from the base policy on those samples
     */
    public record CheckpointPoint(String version, long step, long pairsTrained, double loss, double accuracy,
                                  double margin, double heldOutAccuracy, double publisherKl, String status,
                                  String reason, double judgeReward, double exactRate, double klToBase) {

        public boolean promoted() {
            return "PROMOTED".equals(status);
        }
    }

    private final List<StepPoint> steps = new ArrayList<>();
    private long pairsTrained;

    /** Pairs trained by this process (all steps recorded here). */
    public synchronized long pairsTrainedHere() {
        return pairsTrained;
    }

    synchronized void addTrainedPairs(int n) {
        pairsTrained += n;
    }
    private final List<CheckpointPoint> checkpoints = new ArrayList<>();
    private Path persistFile;

    /** What is saved between runs (a continued run's report covers the earlier runs too). */
    record Saved(List<StepPoint> steps, List<CheckpointPoint> checkpoints) {
    }

    /**
     * Writes the history as JSON, into a temporary file renamed over {@code file}: a process killed while writing
     * left a truncated file that the next run could not read, losing the history of every earlier run.
     */
    public synchronized void save(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            DurableFiles.writeAtomically(file, new ObjectMapper().writeValueAsBytes(new Saved(steps, checkpoints)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot save the run history to " + file, e);
        }
    }

    /**
     * Saves the history to {@code file} now and again with every checkpoint added, so a run that is killed (not
     * stopped with Ctrl-C, which saves at the end) keeps its checkpoints' lines for the next run's report. Costs one
     * small JSON write per checkpoint.
     */
    public synchronized void persistTo(Path file) {
        this.persistFile = file;
        save(file);
    }

    /** Adds what an earlier run saved in {@code file}; a missing or unreadable file adds nothing. */
    public synchronized boolean loadEarlier(Path file) {
        if (!Files.exists(file)) {
            return false;
        }
        try {
            Saved saved = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false)
                    .readValue(file.toFile(), Saved.class);
            steps.addAll(0, saved.steps());
            checkpoints.addAll(0, saved.checkpoints());
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    public synchronized void addStep(StepPoint p) {
        steps.add(p);
    }

    public synchronized void addCheckpoint(CheckpointPoint p) {
        checkpoints.add(p);
        if (persistFile != null) {
            try {
                save(persistFile);
            } catch (UncheckedIOException e) {
                LOG.warn("{}; the history is saved again at the end of the run", e.getMessage());
            }
        }
    }

    public synchronized List<StepPoint> steps() {
        return List.copyOf(steps);
    }

    public synchronized List<CheckpointPoint> checkpoints() {
        return List.copyOf(checkpoints);
    }

    /** The newest step at or before {@code step}, if any. */
    public synchronized StepPoint stepAtOrBefore(long step) {
        StepPoint best = null;
        for (StepPoint p : steps) {
            if (p.step() <= step && (best == null || p.step() >= best.step())) {
                best = p;
            }
        }
        return best;
    }

    /** The newest step, if any. */
    public synchronized StepPoint lastStep() {
        return steps.isEmpty() ? null : steps.get(steps.size() - 1);
    }
}
