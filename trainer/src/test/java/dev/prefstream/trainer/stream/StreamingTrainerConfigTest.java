package dev.prefstream.trainer.stream;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StreamingTrainerConfigTest {

    @Test
    void propertiesOverrideDefaultsAndUnknownKeysAreRefused() {
        StreamingTrainerConfig d = StreamingTrainerConfig.defaults("tiny", Path.of("ckpt"));
        assertThat(d.groupId()).isEqualTo("prefstream-trainer.tiny");
        Properties p = new Properties();
        p.setProperty("prefstream.trainer.pairs-per-step", "4");
        p.setProperty("prefstream.trainer.gradient-accumulation", "2");
        p.setProperty("prefstream.trainer.max-batch-wait-ms", "1500");
        p.setProperty("prefstream.trainer.reference-mode", "tr_dpo");
        p.setProperty("bootstrap.servers", "ignored:9092");
        StreamingTrainerConfig c = d.withProperties(p);
        assertThat(c.pairsPerOptimizerStep()).isEqualTo(8);
        assertThat(c.maxBatchWait()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.referenceMode()).isEqualTo(dev.prefstream.trainer.dpo.ReferenceMode.TR_DPO);
        assertThat(c.withModelName("other").groupId()).isEqualTo("prefstream-trainer.other");

        Properties bad = new Properties();
        bad.setProperty("prefstream.trainer.checkpoint-stepz", "3");
        assertThatThrownBy(() -> d.withProperties(bad)).hasMessageContaining("checkpoint-stepz");
        Properties nan = new Properties();
        nan.setProperty("prefstream.trainer.checkpoint-steps", "many");
        assertThatThrownBy(() -> d.withProperties(nan)).hasMessageContaining("not a number");
    }

    @Test
    void validatesRanges() {
        StreamingTrainerConfig d = StreamingTrainerConfig.defaults("tiny", Path.of("ckpt"));
        assertThatThrownBy(() -> d.with(b -> b.keepCheckpoints = 1)).hasMessageContaining("keepCheckpoints");
        assertThatThrownBy(() -> d.with(b -> b.microBatchPairs = 0)).hasMessageContaining("microBatchPairs");
        assertThatThrownBy(() -> StreamingTrainerConfig.defaults("bad name", Path.of("x"))).hasMessageContaining("model name");
        assertThatThrownBy(() -> d.with(b -> b.deadLetterTopic = d.inputTopic())).hasMessageContaining("deadLetterTopic");
    }

    @Test
    void deadLettersGoToPreferencePairsDlqUnlessConfigured() {
        StreamingTrainerConfig d = StreamingTrainerConfig.defaults("tiny", Path.of("ckpt"));
        assertThat(d.deadLetterTopic()).isEqualTo(dev.prefstream.schemas.TopicLayout.PREFERENCE_PAIRS_DLQ).isEqualTo("preference-pairs-dlq");
        Properties p = new Properties();
        p.setProperty("prefstream.trainer.dead-letter-topic", "my-dlq");
        assertThat(d.withProperties(p).deadLetterTopic()).isEqualTo("my-dlq");
    }

    @Test
    void dpoSettingsReadPrecisionAndApplyOnTopOfABaseConfig() {
        dev.prefstream.trainer.dpo.TrainerConfig base = dev.prefstream.trainer.dpo.TrainerConfig.builder().learningRate(0.003).build();
        Properties p = new Properties();
        p.setProperty("prefstream.dpo.precision", "fp16");
        p.setProperty("prefstream.dpo.beta", "0.25");
        dev.prefstream.trainer.dpo.TrainerConfig c = DpoSettings.apply(base, p);
        assertThat(c.precision()).isEqualTo(dev.prefstream.trainer.dpo.Precision.FP16);
        assertThat(c.dpo().beta()).isEqualTo(0.25);
        assertThat(c.learningRate()).isEqualTo(0.003); // untouched keys keep the base's value (a checkpoint's, on replay)
        Properties bf16 = new Properties();
        bf16.setProperty("prefstream.dpo.precision", "bf16");
        assertThatThrownBy(() -> DpoSettings.apply(base, bf16)).hasMessageContaining("bf16 is not supported");
    }

    @Test
    void gradientCheckpointingIsADpoSettingThatTakesOnlyTrueOrFalse() {
        var base = dev.prefstream.trainer.dpo.TrainerConfig.defaults();
        assertThat(base.gradientCheckpointing()).isFalse();
        Properties on = new Properties();
        on.setProperty("prefstream.dpo.gradient-checkpointing", "TRUE");
        assertThat(DpoSettings.apply(base, on).gradientCheckpointing()).isTrue();
        Properties typo = new Properties();
        typo.setProperty("prefstream.dpo.gradient-checkpointing", "yes");
        assertThatThrownBy(() -> DpoSettings.apply(base, typo)).hasMessageContaining("must be true or false");
    }
}
