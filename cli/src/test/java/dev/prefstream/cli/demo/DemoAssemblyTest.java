package dev.prefstream.cli.demo;

import dev.prefstream.cli.PrefstreamSettings;
import dev.prefstream.cli.TrainingAssembly;
import dev.prefstream.publisher.EvaluationConfig;
import dev.prefstream.publisher.GateConfig;
import dev.prefstream.publisher.PublisherSettings;
import dev.prefstream.trainer.dpo.DpoConfig;
import dev.prefstream.trainer.dpo.LossType;
import dev.prefstream.trainer.dpo.ReferenceMode;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.dpo.TruncationMode;
import dev.prefstream.trainer.lora.LoraConfig;
import dev.prefstream.trainer.stream.StreamingTrainerConfig;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The demo's run is assembled from prefstream settings as {@code train} assembles a --config file's; these are the
 * values the demo used to build by hand (trainer, core and publisher), so moving them into keys changed nothing.
 */
class DemoAssemblyTest {

    private static final DemoSettings DEMO = DemoSettings.defaults(Path.of("demo-data"), Duration.ofMinutes(3), false);

    private static TrainingAssembly assembly(DemoSettings s) {
        return new TrainingAssembly(PrefstreamSettings.read(DemoRunner.trainingSettings(s)));
    }

    @Test
    void theStreamingConfigIsTheDemosOwn() {
        StreamingTrainerConfig c = assembly(DEMO).streaming(DEMO.modelName(), DEMO.checkpointsDir());
        StreamingTrainerConfig expected = StreamingTrainerConfig.defaults(DEMO.modelName(), DEMO.checkpointsDir()).with(b -> {
            b.microBatchPairs = DEMO.pairsPerOptimizerStep();
            b.maxBatchWait = Duration.ofSeconds(3);
            b.iterationSteps = 0;
            b.referenceMode = ReferenceMode.FIXED;
            b.checkpointEverySteps = DEMO.checkpointEverySteps();
            b.checkpointEvery = DEMO.checkpointEvery();
            b.heldOutFraction = DEMO.heldOutFraction();
            b.startFromEarliest = true;
            b.metricsPort = -1;
        });
        assertThat(c).isEqualTo(expected);
        assertThat(c.pairsPerOptimizerStep()).isEqualTo(8);
    }

    @Test
    void theTrainerCoreIsTheDemosOwnWithAndWithoutAnSftTermAndLora() {
        TrainerConfig core = assembly(DEMO).freshCore(TrainingAssembly.CoreOptions.NONE);
        TrainerConfig expected = TrainerConfig.builder().learningRate(DEMO.learningRate())
                .dpo(DpoConfig.of(DEMO.beta(), LossType.SIGMOID).withLosses(List.of(LossType.SIGMOID, LossType.SFT),
                        List.of(1.0, DEMO.sftWeight())))
                .maxLength(128).maxPromptLength(96).truncation(TruncationMode.KEEP_END).clipNorm(1.0)
                .seed(DEMO.base().initSeed()).build();
        assertThat(DEMO.sftWeight()).isPositive();
        assertThat(core).isEqualTo(expected);

        DemoSettings plain = DEMO.withSftWeight(0);
        assertThat(assembly(plain).freshCore(TrainingAssembly.CoreOptions.NONE).dpo()).isEqualTo(DpoConfig.of(DEMO.beta(), LossType.SIGMOID));

        LoraConfig lora = new LoraConfig(8, 16, 0.05, List.of("q_proj", "v_proj"));
        assertThat(assembly(DEMO.withLora(lora)).freshCore(TrainingAssembly.CoreOptions.NONE).lora()).isEqualTo(lora);
    }

    @Test
    void thePublisherIsTheDemosOwn() {
        PublisherSettings p = assembly(DEMO).publisherSettings(DEMO.storeDir());
        assertThat(p.storeDir()).isEqualTo(DEMO.storeDir());
        assertThat(p.heldOutCapacity()).isEqualTo(512);
        assertThat(p.signingKeyFile()).isEmpty();
        assertThat(p.gate()).isEqualTo(new GateConfig(0.5, DEMO.gateTolerance(), 10.0, 20));
        assertThat(p.evaluation()).isEqualTo(new EvaluationConfig(DEMO.beta(), 128, 96, TruncationMode.KEEP_END, 16, 256, 16, 2,
                DEMO.evaluation().maxNewTokens(), 1234));
        assertThat(DemoRunner.gateConfig(DEMO)).isEqualTo(p.gate());
    }
}
