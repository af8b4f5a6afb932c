package dev.prefstream.trainer.dpo;

import ai.djl.Device;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.model.ModelPresets;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The built-in tiny model learns a hidden preference rule from pairs alone (which final mark, '!' or '.', is
 * preferred depends on the last letter before it; see {@link PreferenceTasks#punctuationRule}): held-out
 * preference accuracy goes from chance to at least 90%.
 */
class LearningTest {

    private static final Logger LOG = LoggerFactory.getLogger(LearningTest.class);

    @Test
    void tinyModelLearnsHiddenRuleFromPairs() {
        List<TextPair> train = PreferenceTasks.punctuationRule(1024, 1);
        List<TextPair> heldOut = PreferenceTasks.punctuationRule(96, 2);
        LoadedModel loaded = ModelPresets.builtin(ModelPresets.TINY, Device.cpu(), 7);
        TrainerConfig config = TrainerConfig.builder()
                .learningRate(1e-3).warmupSteps(4).pairsPerOptimizerStep(16).maxLength(128).maxPromptLength(64)
                .dpo(DpoConfig.of(0.1, LossType.SIGMOID)).seed(7).build();
        try (DpoTrainer trainer = DpoTrainer.create(loaded.model(), loaded.tokenizer(), config)) {
            EvalMetrics before = trainer.evaluate(heldOut);
            LOG.info("before training: {}", before.toMap());
            double accuracy = before.preferenceAccuracy();
            int steps = 0;
            for (int from = 0; from + 16 <= train.size() && accuracy < 0.95; from += 16) {
                StepMetrics m = trainer.trainStep(train.subList(from, from + 16));
                steps++;
                if (steps % 16 == 0) {
                    accuracy = trainer.evaluate(heldOut).preferenceAccuracy();
                    LOG.info("step {}: {} held-out preference accuracy {}", steps, m.toMap(), accuracy);
                }
            }
            EvalMetrics after = trainer.evaluate(heldOut);
            LOG.info("after training: {}", after.toMap());
            assertThat(before.preferenceAccuracy()).as("untrained accuracy").isBetween(0.3, 0.7);
            assertThat(after.preferenceAccuracy()).as("trained accuracy").isGreaterThanOrEqualTo(0.9);
            assertThat(after.rewardsAccuracies()).isGreaterThanOrEqualTo(0.9);
            assertThat(after.rewardsMargins()).isGreaterThan(0);
        }
    }
}
