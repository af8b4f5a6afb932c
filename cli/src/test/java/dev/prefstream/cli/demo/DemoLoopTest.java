package dev.prefstream.cli.demo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shortened demo: the whole closed loop in one process on temp dirs and free ports (embedded broker and
 * registry, ingest, streaming DPO trainer, in-process publisher, checkpoint follower, chat simulator), with a
 * shorter base-policy SFT and a shorter streaming phase than {@code prefstream demo}.
 */
class DemoLoopTest {

    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES) // a hang guard only; the run itself is bounded by its settings
    void closedLoopIngestsEveryKindTrainsPromotesFollowsReportsAndImproves(@TempDir Path data) throws Exception {
        System.setProperty("java.awt.headless", "true");
        DemoSettings settings = DemoSettings.defaults(data, Duration.ofSeconds(150), false)
                .withBase(new BasePolicy.Settings("tiny", 7L, 160, 32, 3e-3, 1L))
                .withCheckpoints(10, Duration.ofSeconds(30))
                .withSimulator(SimulatorConfig.defaults().withGarbageAndDelay(0.3, 3_000));
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        DemoRunner.Result result;
        try (PrintStream out = new PrintStream(screen, true, StandardCharsets.UTF_8)) {
            result = new DemoRunner(settings, new DemoView(out, false), Clock.systemUTC()).run();
        }
        String shown = screen.toString(StandardCharsets.UTF_8);
        System.out.println(shown);
        DemoSummary s = result.summary();

        // every ingest path: pairs from all four judgement kinds, garbage dead-lettered
        assertThat(s.pairsByKind()).containsKeys("RATING", "FEEDBACK", "COMPARISON", "RANKING");
        assertThat(s.pairsByKind().values()).allMatch(n -> n > 0);
        assertThat(s.events().get("garbage")).isPositive();
        assertThat(s.dlqRecords()).isGreaterThanOrEqualTo(s.events().get("garbage"));
        // trained, promoted, followed
        assertThat(s.pairsTrained()).isPositive();
        assertThat(s.steps()).isPositive();
        assertThat(s.checkpointsPromoted()).isPositive();
        assertThat(s.simulatorSwaps()).as("the simulator hot-swapped to a promoted checkpoint").isPositive();
        assertThat(shown).contains("PROMOTED");
        // the report
        for (String name : DemoReport.fileNames()) {
            assertThat(settings.reportDir().resolve(name)).isNotEmptyFile();
        }
        for (String png : new String[] {DemoReport.TRAINING_PNG, DemoReport.REWARD_PNG, DemoReport.FRONTIER_PNG}) {
            byte[] head = Arrays.copyOf(Files.readAllBytes(settings.reportDir().resolve(png)), 8);
            assertThat(head).as(png).containsExactly(0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A);
        }
        JsonNode json = new ObjectMapper().readTree(settings.reportDir().resolve(DemoReport.SUMMARY_JSON).toFile());
        assertThat(json.get("checkpoints_promoted").asInt()).isEqualTo(s.checkpointsPromoted());
        assertThat(json.get("pairs_trained").asLong()).isEqualTo(s.pairsTrained());
        // the point of it all: the final policy beats the base on the held-out prompts
        assertThat(json.get("final_judge_reward").asDouble()).isGreaterThan(json.get("base_judge_reward").asDouble());
        assertThat(s.finalJudgeReward()).isGreaterThan(s.baseJudgeReward());
        assertThat(Files.readString(settings.reportDir().resolve(DemoReport.SUMMARY_TXT))).contains("RESULT:");
    }

    /**
     * The shortened demo with LoRA adapters of rank 8 on the tiny base instead of full fine-tuning: the same loop
     * trains only the adapters, publishes PEFT adapter checkpoints, promotes one and still improves the judge reward.
     */
    @Test
    @Timeout(value = 20, unit = TimeUnit.MINUTES) // a hang guard only
    void loraRank8DemoPublishesAdaptersAndImproves(@TempDir Path data) throws Exception {
        System.setProperty("java.awt.headless", "true");
        DemoSettings settings = DemoSettings.defaults(data, Duration.ofSeconds(120), false)
                .withBase(new BasePolicy.Settings("tiny", 7L, 160, 32, 3e-3, 1L))
                .withCheckpoints(10, Duration.ofSeconds(30))
                .withLora(dev.prefstream.trainer.lora.LoraConfig.ofRank(8));
        ByteArrayOutputStream screen = new ByteArrayOutputStream();
        DemoRunner.Result result;
        try (PrintStream out = new PrintStream(screen, true, StandardCharsets.UTF_8)) {
            result = new DemoRunner(settings, new DemoView(out, false), Clock.systemUTC()).run();
        }
        System.out.println(screen.toString(StandardCharsets.UTF_8));
        DemoSummary s = result.summary();
        assertThat(s.pairsTrained()).isPositive();
        assertThat(s.checkpointsPromoted()).isPositive();
        try (var dirs = Files.walk(data)) {
            java.util.List<Path> adapters = dirs.filter(p -> p.getFileName().toString().equals("adapter_config.json"))
                    .toList();
            assertThat(adapters).as("PEFT adapter checkpoints under the data dir").isNotEmpty();
            JsonNode config = new ObjectMapper().readTree(adapters.get(0).toFile());
            assertThat(config.get("peft_type").asText()).isEqualTo("LORA");
            assertThat(config.get("r").asInt()).isEqualTo(8);
        }
        assertThat(s.finalJudgeReward()).isGreaterThan(s.baseJudgeReward());
    }
}
