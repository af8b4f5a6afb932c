package dev.prefstream.trainer.stream;

import dev.prefstream.checkpoint.format.CheckpointException;
import dev.prefstream.checkpoint.format.CheckpointLayout;
import dev.prefstream.checkpoint.format.CheckpointManifest;
import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.PartitionOffset;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The exactly-once account of a lineage of checkpoints: starting from a checkpoint and following parent versions
 * back to the first one, every checkpoint is verified and its training log read. {@link #check()} proves that no
 * input offset was trained twice and that each checkpoint trained only offsets between its parent's resume point
 * and its own. Needs the whole lineage on disk (keep enough checkpoints, or read it from the checkpoint store).
 *
 * @param checkpoints the lineage, oldest first
 * @param entries     every training log entry of the lineage, oldest checkpoint first
 */
public record TrainingLedger(List<VerifiedCheckpoint> checkpoints, List<TrainingLogEntry> entries) {

    /** Reads the lineage ending at {@code version} under {@code root}. */
    public static TrainingLedger of(Path root, String version) {
        List<VerifiedCheckpoint> chain = new ArrayList<>();
        String v = version;
        while (v != null) {
            VerifiedCheckpoint cp = CheckpointReader.byVersion(root, v);
            chain.add(cp);
            v = cp.manifest().parentVersion();
        }
        Collections.reverse(chain);
        List<TrainingLogEntry> all = new ArrayList<>();
        for (VerifiedCheckpoint cp : chain) {
            try {
                all.addAll(TrainingLog.read(cp.dir().resolve(CheckpointLayout.TRAINING_LOG)));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return new TrainingLedger(List.copyOf(chain), List.copyOf(all));
    }

    /**
     * Checks the account and returns the number of trained pairs; a {@link CheckpointException} describes the first
     * violation (an offset trained twice, outside its checkpoint's range, or a step count that does not add up).
     */
    public long check() {
        Map<String, TrainingLogEntry> seen = new HashMap<>();
        Map<String, Long> previousNext = new HashMap<>();
        long pairs = 0;
        for (VerifiedCheckpoint cp : checkpoints) {
            CheckpointManifest m = cp.manifest();
            Map<String, Long> next = new HashMap<>();
            for (PartitionOffset o : m.offsets()) {
                next.put(o.topic() + "-" + o.partition(), o.nextOffset());
            }
            List<TrainingLogEntry> own;
            try {
                own = TrainingLog.read(cp.dir().resolve(CheckpointLayout.TRAINING_LOG));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            for (TrainingLogEntry e : own) {
                String tp = e.topic() + "-" + e.partition();
                String coord = tp + "@" + e.offset();
                TrainingLogEntry before = seen.putIfAbsent(coord, e);
                if (before != null) {
                    throw new CheckpointException("offset " + coord + " (pair " + e.pairId() + ") trained twice: in step " + before.step()
                            + " and again in step " + e.step() + " of " + m.version());
                }
                long lo = previousNext.getOrDefault(tp, 0L);
                long hi = next.getOrDefault(tp, -1L);
                if (e.offset() < lo || e.offset() >= hi) {
                    throw new CheckpointException("offset " + coord + " trained in " + m.version() + " lies outside its range [" + lo + ", " + hi + ")");
                }
                if (e.step() > m.step()) {
                    throw new CheckpointException("offset " + coord + " claims step " + e.step() + " beyond checkpoint " + m.version());
                }
            }
            pairs += own.size();
            if (m.pairsTrained() != pairs) {
                throw new CheckpointException(m.version() + " says pairs_trained=" + m.pairsTrained() + " but its lineage logs " + pairs);
            }
            previousNext = next;
        }
        return pairs;
    }
}
