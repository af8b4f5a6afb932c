package dev.prefstream.cli.demo;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.SplittableRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class LetterCountJudgeTest {

    private final LetterCountJudge judge = new LetterCountJudge();
    private final TaskPrompt fiveK = new TaskPrompt('k', 5);

    @Test
    void perfectAnswerScoresOne() {
        assertThat(judge.reward(fiveK, "kkkkk")).isEqualTo(1.0);
        assertThat(judge.reward(fiveK, fiveK.idealAnswer())).isEqualTo(1.0);
    }

    @Test
    void partialCreditForLengthAndPurity() {
        assertThat(judge.reward(fiveK, "kkkk")).isCloseTo(0.75, within(1e-12));
        assertThat(judge.reward(fiveK, "kkkkkkk")).isCloseTo(0.5, within(1e-12));
        assertThat(judge.reward(fiveK, "kkkkl")).isCloseTo(0.8, within(1e-12));
        assertThat(judge.reward(fiveK, "kkkl")).isCloseTo(0.75 * 0.75, within(1e-12));
    }

    @Test
    void nothingForEmptyWrongOrFarOffAnswers() {
        assertThat(judge.reward(fiveK, "")).isZero();
        assertThat(judge.reward(fiveK, "   ")).isZero();
        assertThat(judge.reward(fiveK, null)).isZero();
        assertThat(judge.reward(fiveK, "hello")).isZero();
        assertThat(judge.reward(fiveK, "k")).isZero();
        assertThat(judge.reward(fiveK, "kkkkkkkkk")).isZero();
    }

    @Test
    void heldOutPromptsAreDisjointFromTrainingPrompts() {
        LetterCountTask task = new LetterCountTask();
        assertThat(task.trainingPrompts()).doesNotContainAnyElementsOf(task.heldOutPrompts());
        assertThat(task.trainingPrompts().size() + task.heldOutPrompts().size()).isEqualTo(26 * 8);
        assertThat(new HashSet<>(task.heldOutPrompts())).hasSize(task.heldOutPrompts().size());
        assertThat(new LetterCountTask().heldOutPrompts()).isEqualTo(task.heldOutPrompts());
    }

    @Test
    void demonstrationsAreSloppyButInFormat() {
        SplittableRandom random = new SplittableRandom(3);
        int exact = 0;
        double reward = 0;
        int n = 4000;
        for (int i = 0; i < n; i++) {
            String d = LetterCountTask.demonstration(fiveK, random);
            assertThat(d).matches("[a-z]+");
            double r = judge.reward(fiveK, d);
            reward += r / n;
            if (r == 1.0) {
                exact++;
            }
        }
        // about 35% right length x 70% without a wrong letter
        assertThat((double) exact / n).isBetween(0.2, 0.3);
        assertThat(reward).isBetween(0.55, 0.75);
    }

    @Test
    void promptUsesTheTrainerChatTemplate() {
        assertThat(fiveK.rendered()).isEqualTo("<|user|>\nWrite the letter k exactly 5 times.\n<|assistant|>\n");
    }
}
