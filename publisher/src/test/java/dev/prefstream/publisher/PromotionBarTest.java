package dev.prefstream.publisher;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;

class PromotionBarTest {

    private static final List<String> SAMPLE = List.of("p1", "p2", "p3");
    private static final GateConfig GATE = new GateConfig(0.5, 0.02, 10.0, 1);

    @TempDir
    Path tmp;

    /**
     * 0.80 promoted, then 0.79 (within the 0.02 tolerance) promoted, then 0.775: against the LAST promoted
     * (0.79 - 0.02 = 0.77) it would pass, and accuracy would keep sinking by the tolerance; against the best
     * (0.80 - 0.02 = 0.78) it is rejected.
     */
    @Test
    void theBarIsTheBestPromotedNotTheLastSoAccuracyCannotDriftDown() {
        PromotionBar bar = new PromotionBar(Optional.empty());
        PromotionGate gate = new PromotionGate(GATE);
        List<String> decisions = new ArrayList<>();
        double[] candidates = {0.80, 0.79, 0.775};
        for (int i = 0; i < candidates.length; i++) {
            OptionalDouble against = bar.accuracyOn(SAMPLE, dir -> {
                throw new AssertionError("same sample: no second evaluation");
            });
            GateDecision d = gate.decide(new CandidateMetrics(3, candidates[i], 0.1, 0.1, 0.0, 0.1, 4), against);
            decisions.add(d.status().name());
            if (d.status() == dev.prefstream.schemas.avro.CheckpointStatus.PROMOTED) {
                bar.promoted("v" + i, null, candidates[i], SAMPLE);
            }
        }
        assertThat(decisions).containsExactly("PROMOTED", "PROMOTED", "REJECTED");
        assertThat(bar.holder().orElseThrow().version()).isEqualTo("v0");
        assertThat(bar.holder().orElseThrow().accuracy()).isEqualTo(0.80);
    }

    /** A bar measured on other pairs is scored again on the candidate's pairs when its files are readable. */
    @Test
    void aBarMeasuredOnOtherPairsIsScoredAgainOnTheCandidatesPairs() throws Exception {
        Path stored = Files.createDirectories(tmp.resolve("store/v0"));
        PromotionBar bar = new PromotionBar(Optional.of(new PromotionBar.Holder("v0", stored, 0.90, List.of("p1"))));
        List<Path> rescored = new ArrayList<>();
        assertThat(bar.accuracyOn(SAMPLE, dir -> {
            rescored.add(dir);
            return 0.70;
        })).hasValue(0.70);
        assertThat(rescored).containsExactly(stored);
        // now measured on SAMPLE: asking again on the same pairs costs nothing
        assertThat(bar.accuracyOn(SAMPLE, dir -> {
            throw new AssertionError("already measured on these pairs");
        })).hasValue(0.70);
        assertThat(bar.holder().orElseThrow().sample()).isEqualTo(SAMPLE);
    }

    /** From the registry without readable files (another host's store): its number stands. */
    @Test
    void aBarWhoseFilesAreNotHereKeepsItsNumber() {
        PromotionBar bar = new PromotionBar(Optional.of(new PromotionBar.Holder("v9", null, 0.66, null)));
        assertThat(bar.accuracyOn(SAMPLE, dir -> {
            throw new AssertionError("no files to score");
        })).hasValue(0.66);
        bar.promoted("v10", null, 0.65, SAMPLE);   // promoted within tolerance but less accurate: the bar stays
        assertThat(bar.holder().orElseThrow().version()).isEqualTo("v9");
        bar.promoted("v11", null, 0.70, SAMPLE);
        assertThat(bar.holder().orElseThrow().version()).isEqualTo("v11");
    }
}
