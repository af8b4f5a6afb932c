package dev.prefstream.cli.demo;

import dev.prefstream.publisher.GateConfig;
import dev.prefstream.publisher.PromotionGate;
import dev.prefstream.publisher.CandidateMetrics;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.OptionalDouble;

import static org.assertj.core.api.Assertions.assertThat;

/** The demo's gate must be followable from its own output: which numbers were compared, and what each column is. */
class DemoGateExplainedTest {

    @Test
    void aPromotedCheckpointLineShowsTheNumbersTheGateCompared() {
        DemoSettings settings = DemoSettings.defaults(Path.of("unused"), Duration.ofMinutes(1), false);
        String reason = new PromotionGate(DemoRunner.gateConfig(settings))
                .decide(new CandidateMetrics(48, 0.843, 0.2, 0.1, -0.1, 0.4277, 32), OptionalDouble.of(0.76), "step-0000000020").reason();
        RunHistory.CheckpointPoint point = new RunHistory.CheckpointPoint("step-0000000040", 40, 960, 0.41, 0.88, 1.2, 0.843, 0.4277,
                "PROMOTED", reason, 0.81, 0.5, 1.615);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DemoView view = new DemoView(new PrintStream(bytes, true, StandardCharsets.UTF_8), false);
        view.checkpointHeader();
        view.checkpoint(point);
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("judge-KL").contains("verdict (the gate's numbers)")
                .contains("PROMOTED (held-out accuracy 0.8430 on 48 pairs >= 0.6600 = best promoted step-0000000020 0.7600 on the same "
                        + "pairs - tolerance 0.1000; gate KL 0.4277 <= 10.0000 (sampled from the initial policy, 32 answers))");
    }

    @Test
    void aCutUtf8SequenceAndControlCharactersArePrintedEscaped() {
        // "\uFFFD" came from a byte-level sample that stopped inside a multi-byte character
        assertThat(DemoReport.quote("\uFFFDzddd\u0007 a\"b\n")).isEqualTo("\"\\ufffdzddd\\u0007 a\\\"b\\n\"");
        assertThat(DemoReport.quote("kkkkk \u00e9")).isEqualTo("\"kkkkk \u00e9\"");
    }

    @Test
    void theReportExplainsTheColumnsAndTheDemosGateSettings() {
        DemoSettings settings = DemoSettings.defaults(Path.of("unused"), Duration.ofMinutes(1), false);
        String legend = DemoRunner.reportLegend(settings, 42);
        assertThat(legend).contains("acc       rewards/accuracies of the last training batch")
                .contains("heldout   the same share on held-out pairs")
                .contains("judge     mean judge reward (0..1) of answers sampled on the 42 held-out prompts (4 per prompt)")
                .contains("KL        KL from the base policy")
                .contains("a separate estimate from 32 sampled answers")
                .contains("The tolerance is 0.10 here against the default 0.02")
                .contains("at least 20 pairs");
        assertThat(GateConfig.defaults().accuracyTolerance()).isEqualTo(0.02);
    }
}
