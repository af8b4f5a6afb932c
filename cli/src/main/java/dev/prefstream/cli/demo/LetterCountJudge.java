package dev.prefstream.cli.demo;

/**
 * The programmatic judge of the demo (the "AI judge" of RLAIF): a reward in [0, 1] for an answer to a
 * {@link TaskPrompt}, the product of
 * <ul>
 *   <li>purity: the share of the answer's characters that are the requested letter (0 for an empty answer), and</li>
 *   <li>length: 1 minus 0.25 per character too many or too few (0 from four off).</li>
 * </ul>
 * So "kkkkk" for five k scores 1.0, "kkkk" 0.75, "kkkkl" 0.8, "hello" 0. Deterministic and exact: the demo's
 * improvement is measured with it on held-out prompts.
 */
public final class LetterCountJudge {

    /** The judge's name on the events it rates (annotator_id of AI_JUDGE events). */
    public static final String NAME = "letter-count-judge-v1";

    /** Reward of {@code answer} for {@code prompt}, in [0, 1]. */
    public double reward(TaskPrompt prompt, String answer) {
        if (answer == null) {
            return 0;
        }
        String a = answer.strip();
        int length = a.codePointCount(0, a.length());
        if (length == 0) {
            return 0;
        }
        long right = a.codePoints().filter(c -> c == prompt.letter()).count();
        double purity = (double) right / length;
        double lengthScore = Math.max(0.0, 1.0 - 0.25 * Math.abs(length - prompt.count()));
        return purity * lengthScore;
    }
}
