package dev.prefstream.cli.demo;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class RunHistoryTest {

    @Test
    void aContinuedRunStartsWithTheEarlierRunsHistory(@TempDir Path dir) throws Exception {
        RunHistory first = new RunHistory();
        first.addStep(new RunHistory.StepPoint(1, 0.69, 0.5, 0.01));
        first.addCheckpoint(new RunHistory.CheckpointPoint("step-1", 1, 8, 0.69, 0.5, 0.01, 0.6, 0.1, "PROMOTED", "ok",
                0.7, 0.2, 0.05));
        Path file = dir.resolve("history.json");
        first.save(file);

        RunHistory second = new RunHistory();
        second.addStep(new RunHistory.StepPoint(2, 0.6, 0.75, 0.2));
        assertThat(second.loadEarlier(file)).isTrue();
        assertThat(second.steps()).extracting(RunHistory.StepPoint::step).containsExactly(1L, 2L);
        assertThat(second.checkpoints()).containsExactlyElementsOf(first.checkpoints());
        assertThat(second.stepAtOrBefore(1).loss()).isEqualTo(0.69);
    }

    @Test
    void aMissingOrBrokenHistoryAddsNothing(@TempDir Path dir) throws Exception {
        RunHistory h = new RunHistory();
        assertThat(h.loadEarlier(dir.resolve("none.json"))).isFalse();
        Path broken = Files.writeString(dir.resolve("broken.json"), "{not json");
        assertThat(h.loadEarlier(broken)).isFalse();
        assertThat(h.steps()).isEmpty();
    }

    @Test
    void aPersistedHistoryHasEveryCheckpointOnDiskWithoutAFinalSave(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("history.json");
        RunHistory earlier = new RunHistory();
        earlier.addCheckpoint(point("step-1", 1));
        earlier.save(file);

        RunHistory run = new RunHistory();
        assertThat(run.loadEarlier(file)).isTrue();
        run.persistTo(file);
        run.addStep(new RunHistory.StepPoint(2, 0.6, 0.75, 0.2));
        run.addCheckpoint(point("step-2", 2));
        // the process is killed here: no save() at the end (was: step-2 lost, the next report stopped at step-1)

        RunHistory next = new RunHistory();
        assertThat(next.loadEarlier(file)).isTrue();
        assertThat(next.checkpoints()).extracting(RunHistory.CheckpointPoint::version).containsExactly("step-1", "step-2");
        assertThat(next.steps()).extracting(RunHistory.StepPoint::step).containsExactly(2L);
        try (var files = Files.list(dir)) {
            assertThat(files).as("no temporary file left").containsExactly(file);
        }
    }

    private static RunHistory.CheckpointPoint point(String version, long step) {
        return new RunHistory.CheckpointPoint(version, step, 8 * step, 0.69, 0.5, 0.01, 0.6, 0.1, "PROMOTED", "ok", 0.7, 0.2, 0.05);
    }
}
