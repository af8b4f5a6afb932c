package dev.prefstream.trainer.stream;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.dpo.ReferenceMode;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.optim.LrSchedule;
import dev.prefstream.trainer.settings.SettingKey;
import dev.prefstream.trainer.settings.SettingsException;
import dev.prefstream.trainer.settings.SettingsRegistry;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.lang.reflect.RecordComponent;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The trainer's --config keys: one registry, one name and one meaning per setting, old names still read with a warning. */
class TrainerSettingsTest {

    private static final StreamingTrainerConfig DEFAULTS = StreamingTrainerConfig.defaults("tiny", Path.of("ckpt"));

    private static Properties props(String... kv) {
        Properties p = new Properties();
        for (int i = 0; i < kv.length; i += 2) {
            p.setProperty(kv[i], kv[i + 1]);
        }
        return p;
    }

    /** Runs {@code body} and returns what it logged as warnings from the settings registry. */
    private static <T> List<String> warnings(Supplier<T> body) {
        Logger logger = (Logger) LoggerFactory.getLogger(SettingsRegistry.class);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        logger.addAppender(captured);
        try {
            body.get();
        } finally {
            logger.detachAppender(captured);
        }
        return captured.list.stream().filter(e -> e.getLevel() == ch.qos.logback.classic.Level.WARN)
                .map(ILoggingEvent::getFormattedMessage).toList();
    }

    @Test
    void anUnknownKeyIsRefusedNamingTheNearestKnownKey() {
        assertThatThrownBy(() -> DpoSettings.apply(TrainerConfig.defaults(), props("prefstream.dpo.betta", "0.2")))
                .isInstanceOf(SettingsException.class)
                .hasMessageStartingWith("unknown setting 'prefstream.dpo.betta'; did you mean 'prefstream.dpo.beta'?");
        // the nearest key of a misspelt old name is the setting's current name
        assertThatThrownBy(() -> DEFAULTS.withProperties(props("prefstream.trainer.pairs-per-stepp", "4")))
                .hasMessageContaining("did you mean 'prefstream.trainer.micro-batch-pairs'?");
        // every owner reads through the one registry: a trainer key is no longer "unknown" to the DPO reader, and
        // a typo in the trainer section is refused by whichever owner reads first
        assertThat(DpoSettings.apply(TrainerConfig.defaults(), props("prefstream.trainer.metrics-port", "1234", "prefstream.dpo.beta", "0.3"))
                .dpo().beta()).isEqualTo(0.3);
        assertThatThrownBy(() -> LoraSettings.apply(TrainerConfig.defaults(), props("prefstream.trainer.checkpoint-stepz", "3")))
                .hasMessageContaining("did you mean 'prefstream.trainer.checkpoint-steps'?");
        // keys of other sections (the publisher's, Kafka's) are left to their readers
        assertThat(DEFAULTS.withProperties(props("prefstream.publisher.max-kl", "3", "bootstrap.servers", "x:9092"))).isEqualTo(DEFAULTS);
    }

    @Test
    void deprecatedNamesStillWorkAndWarn() {
        List<String> w = warnings(() -> {
            StreamingTrainerConfig c = DEFAULTS.withProperties(props("prefstream.trainer.pairs-per-step", "4",
                    "prefstream.trainer.gradient-accumulation", "2", "prefstream.trainer.max-steps", "7"));
            assertThat(c.microBatchPairs()).isEqualTo(4);
            assertThat(c.pairsPerOptimizerStep()).isEqualTo(8);
            assertThat(c.stopAtStep()).isEqualTo(7);
            return c;
        });
        assertThat(w).containsExactly(
                "Setting 'prefstream.trainer.max-steps' is deprecated, use 'prefstream.trainer.stop-at-step' (it is where training stops, "
                        + "not the learning-rate schedule's horizon (prefstream.dpo.decay-steps)); read as prefstream.trainer.stop-at-step=7",
                "Setting 'prefstream.trainer.pairs-per-step' is deprecated, use 'prefstream.trainer.micro-batch-pairs' (it is the "
                        + "micro-batch, not the pairs per optimizer step); read as prefstream.trainer.micro-batch-pairs=4");

        List<String> gc = warnings(() -> {
            assertThat(DpoSettings.apply(TrainerConfig.defaults(), props("prefstream.dpo.gradient-checkpointing", "true"))
                    .gradientCheckpointing()).isTrue();
            return null;
        });
        assertThat(gc).singleElement().asString().startsWith("Setting 'prefstream.dpo.gradient-checkpointing' is deprecated, use "
                + "'prefstream.trainer.gradient-checkpointing'");
        // the current names warn about nothing
        assertThat(warnings(() -> DEFAULTS.withProperties(props("prefstream.trainer.micro-batch-pairs", "4",
                "prefstream.trainer.stop-at-step", "7", "prefstream.trainer.gradient-checkpointing", "true")))).isEmpty();
    }

    @Test
    void aSettingGivenUnderItsOldAndItsNewNameIsRefused() {
        assertThatThrownBy(() -> DEFAULTS.withProperties(props("prefstream.trainer.pairs-per-step", "4",
                "prefstream.trainer.micro-batch-pairs", "4")))
                .hasMessageContaining("setting prefstream.trainer.micro-batch-pairs is given twice")
                .hasMessageContaining("'prefstream.trainer.pairs-per-step'");
    }

    @Test
    void valuesParseByTheirKeysTypeWithClearErrors() {
        assertThatThrownBy(() -> DEFAULTS.withProperties(props("prefstream.trainer.checkpoint-steps", "many")))
                .hasMessage("setting prefstream.trainer.checkpoint-steps=many: is not a number");
        assertThatThrownBy(() -> DEFAULTS.withProperties(props("prefstream.trainer.start-from-earliest", "yes")))
                .hasMessage("setting prefstream.trainer.start-from-earliest=yes: must be true or false");
        assertThatThrownBy(() -> DpoSettings.apply(TrainerConfig.defaults(), props("prefstream.dpo.schedule", "cosin")))
                .hasMessageContaining("unknown lr schedule 'cosin'");
        TrainerConfig c = DpoSettings.apply(TrainerConfig.defaults(), props("prefstream.dpo.loss", "sigmoid, sft",
                "prefstream.dpo.loss-weights", "1, 0.5", "prefstream.dpo.schedule", "cosine", "prefstream.dpo.decay-steps", "300"));
        assertThat(c.dpo().lossWeights()).containsExactly(1.0, 0.5);
        assertThat(c.dpo().lossTypes()).hasSize(2);
        assertThat(c.lrSchedule().kind()).isEqualTo(LrSchedule.Kind.COSINE);
        assertThat(c.decaySteps()).isEqualTo(300);
    }

    /**
     * The streaming config and the trainer core share some component names; each must mean the same in both, so
     * after the streaming config set the core's batching, the shared names hold equal values. (pairsPerStep was the
     * micro-batch in one and the pairs per optimizer step in the other; maxSteps stopped training in one and was
     * the schedule's horizon in the other.)
     */
    @Test
    void aNameSharedByTheStreamingAndTheCoreConfigMeansTheSameInBoth() throws Exception {
        StreamingTrainerConfig streaming = DEFAULTS.with(b -> {
            b.microBatchPairs = 3;
            b.gradientAccumulation = 4;
            b.referenceMode = ReferenceMode.REFRESH;
            b.stopAtStep = 50;
        });
        TrainerConfig core = streaming.applyTo(TrainerConfig.builder().decaySteps(1000).schedule(LrSchedule.Kind.LINEAR).build());
        Set<String> shared = names(StreamingTrainerConfig.class);
        shared.retainAll(names(TrainerConfig.class));
        shared.add("pairsPerOptimizerStep"); // a derived value of the streaming config, a component of the core's
        assertThat(shared).contains("gradientAccumulation", "referenceMode", "pairsPerOptimizerStep").doesNotContain("pairsPerStep", "maxSteps");
        for (String name : shared) {
            assertThat(StreamingTrainerConfig.class.getMethod(name).invoke(streaming)).as(name)
                    .isEqualTo(TrainerConfig.class.getMethod(name).invoke(core));
        }
        assertThat(core.pairsPerOptimizerStep()).isEqualTo(12);
        assertThat(core.decaySteps()).isEqualTo(1000); // the stop step does not leak into the schedule
    }

    @Test
    void noNameIsClaimedByTwoSettings() {
        Set<String> names = new HashSet<>();
        for (SettingKey<?> k : TrainerSettings.REGISTRY.keys()) {
            assertThat(names.add(k.name())).as(k.name()).isTrue();
            k.deprecated().forEach(d -> assertThat(names.add(d.name())).as(d.name()).isTrue());
        }
        SettingKey<Integer> a = SettingKey.ofInt("prefstream.x.a", 1, "a");
        SettingKey<Integer> b = SettingKey.ofInt("prefstream.x.b", 1, "b").alsoReadAs("prefstream.x.a", "clash");
        assertThatThrownBy(() -> SettingsRegistry.of(List.of("prefstream.x."), List.of(a, b)))
                .hasMessageContaining("prefstream.x.a is claimed by both");
    }

    @Test
    void aTrainerStateSavedBeforeTheRenamesStillReads() throws Exception {
        ObjectMapper json = new ObjectMapper();
        TrainerConfig config = TrainerConfig.builder().pairsPerOptimizerStep(8).gradientAccumulation(2).decaySteps(20)
                .schedule(LrSchedule.Kind.COSINE).build();
        ObjectNode old = (ObjectNode) json.valueToTree(config);
        old.set("pairsPerStep", old.remove("pairsPerOptimizerStep"));
        old.set("accumulation", old.remove("gradientAccumulation"));
        old.set("maxSteps", old.remove("decaySteps"));
        assertThat(json.treeToValue(old, TrainerConfig.class)).isEqualTo(config);
    }

    private static Set<String> names(Class<? extends Record> type) {
        return new HashSet<>(Arrays.stream(type.getRecordComponents()).map(RecordComponent::getName).toList());
    }
}
