package dev.prefstream.cli.demo;

import java.util.List;
import java.util.Map;

/**
 * The outcome of a demo run, as written to {@code summary.json}.
 *
 * @param baseJudgeReward     mean judge reward of the base policy's sampled answers on the held-out prompts
 * @param finalJudgeReward    same for the final policy (the newest promoted checkpoint), same prompts, settings and seed
 * @param improvementStdError standard error of the per-prompt paired difference final - base
 * @param improved            final - base is positive and more than twice its standard error
 * @param baseExactRate       share of perfect answers of the base policy
 * @param finalExactRate      same for the final policy
 * @param finalKlToBase       KL of the final policy from the base on its samples
 * @param finalVersion        version of the final policy ("base" when nothing was promoted)
 * @param checkpointsTotal    checkpoints the publisher judged
 * @param checkpointsPromoted of which promoted
 * @param pairsTrained        pairs the trainer trained on (in this data directory, all runs)
 * @param steps               optimizer steps taken (all runs)
 * @param pairsByKind         pairs on preference-pairs per judgement kind (whole topic)
 * @param dlqRecords          records on the dead-letter topic (whole topic)
 * @param events              events the simulator sent in this run, per kind
 * @param simulatorSwaps      times the simulator hot-swapped to a newer promoted checkpoint
 * @param minutes             run length in minutes
 * @param heldOutPrompts      held-out prompts evaluated
 * @param samplesPerPrompt    answers sampled per held-out prompt
 * @param temperature         sampling temperature of the evaluation (= served)
 * @param sideBySide          a few held-out prompts with the base and the final answer
 */
public record DemoSummary(double baseJudgeReward, double finalJudgeReward, double improvementStdError, boolean improved,
                          double baseExactRate, double finalExactRate, double finalKlToBase, String finalVersion,
                          int checkpointsTotal, int checkpointsPromoted, long pairsTrained, long steps,
                          Map<String, Long> pairsByKind, long dlqRecords, Map<String, Long> events, long simulatorSwaps,
                          double minutes, int heldOutPrompts, int samplesPerPrompt, double temperature,
                          List<SideBySide> sideBySide) {

    /** One held-out prompt answered by both policies. */
    public record SideBySide(String prompt, String baseAnswer, double baseReward, String finalAnswer, double finalReward) {
    }

    /** Final minus base judge reward. */
    public double improvement() {
        return finalJudgeReward - baseJudgeReward;
    }
}
