package dev.prefstream.cli.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The demo's synthetic task: "Write the letter k exactly 5 times." A program can grade every answer exactly
 * ({@link LetterCountJudge}), answers are a few bytes (cheap to sample and train on two CPU cores), and the quality
 * has degrees (wrong letters, one too many, three too few), so ratings carry informative margins.
 *
 * <p>The (letter, count) combinations are split once, deterministically, into a training side (what the chat
 * simulator's users ask) and a held-out side (what the report evaluates on), so an improvement on held-out
 * prompts is generalisation, not memorised prompts.
 *
 * <p>{@link #demonstration} writes the supervised demonstrations of the base policy: deliberately sloppy ones, as
 * in a cheap crowd-sourced SFT set (often a letter or two too many or too few, sometimes a wrong letter). The SFT
 * model so learns the format but not the precision; preference learning has to supply the rest.
 */
public final class LetterCountTask {

    /** Smallest count asked for. */
    public static final int MIN_COUNT = 2;
    /** Largest count asked for. */
    public static final int MAX_COUNT = 9;

    private final List<TaskPrompt> training = new ArrayList<>();
    private final List<TaskPrompt> heldOut = new ArrayList<>();

    /** The task with its fixed train/held-out split (every 5th combination in a fixed shuffle is held out). */
    public LetterCountTask() {
        List<TaskPrompt> all = new ArrayList<>();
        for (char c = 'a'; c <= 'z'; c++) {
            for (int n = MIN_COUNT; n <= MAX_COUNT; n++) {
                all.add(new TaskPrompt(c, n));
            }
        }
        SplittableRandom shuffle = new SplittableRandom(20240601L);
        for (int i = all.size() - 1; i > 0; i--) {
            int j = shuffle.nextInt(i + 1);
            TaskPrompt t = all.get(i);
            all.set(i, all.get(j));
            all.set(j, t);
        }
        for (int i = 0; i < all.size(); i++) {
            (i % 5 == 0 ? heldOut : training).add(all.get(i));
        }
    }

    /** Prompts users ask (and the SFT set is made of). */
    public List<TaskPrompt> trainingPrompts() {
        return List.copyOf(training);
    }

    /** Prompts only the evaluation sees. */
    public List<TaskPrompt> heldOutPrompts() {
        return List.copyOf(heldOut);
    }

    /** A random training prompt. */
    public TaskPrompt draw(SplittableRandom random) {
        return training.get(random.nextInt(training.size()));
    }

    /**
     * A sloppy demonstration for {@code p}: exact length only 35% of the time (otherwise off by one 40%, by two
     * 20%, three too many 5%), and in 30% of them one letter replaced by a neighbouring letter of the alphabet.
     */
    public static String demonstration(TaskPrompt p, SplittableRandom random) {
        double u = random.nextDouble();
        int offset;
        if (u < 0.35) {
            offset = 0;
        } else if (u < 0.55) {
            offset = 1;
        } else if (u < 0.75) {
            offset = -1;
        } else if (u < 0.85) {
            offset = 2;
        } else if (u < 0.95) {
            offset = -2;
        } else {
            offset = 3;
        }
        int length = Math.max(1, p.count() + offset);
        char[] text = String.valueOf(p.letter()).repeat(length).toCharArray();
        if (random.nextDouble() < 0.3) {
            int at = random.nextInt(length);
            text[at] = p.letter() == 'z' ? 'y' : (char) (p.letter() + 1);
        }
        return new String(text);
    }
}
