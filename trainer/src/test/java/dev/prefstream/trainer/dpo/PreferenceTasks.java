package dev.prefstream.trainer.dpo;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Synthetic preference data with a hidden rule, for learning tests. */
final class PreferenceTasks {

    private static final String[] WORDS = {
        "apple", "river", "stone", "cloud", "green", "quick", "table", "light", "music", "north", "paper", "storm",
        "tiger", "value", "water", "young", "brave", "chair", "dream", "field", "glass", "heart", "juice", "lemon"};

    private PreferenceTasks() {
    }

    private static String words(Random r, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(WORDS[r.nextInt(WORDS.length)]);
        }
        return sb.toString();
    }

    /**
     * Pairs whose responses share a random body and differ only in the final character, '!' or '.': the hidden
     * rule prefers '!' after a word whose last letter is in a..m and '.' otherwise. About half of the pairs prefer
     * each mark, so an untrained model, whatever its bias between the two marks, is right about half of the time;
     * learning the rule means learning which mark follows which letter.
     */
    static List<TextPair> punctuationRule(int n, long seed) {
        Random r = new Random(seed);
        List<TextPair> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String prompt = ChatTemplate.render(List.of(new ChatTemplate.Message("user", words(r, 2))));
            String body = words(r, 2 + r.nextInt(2));
            boolean exclaim = body.charAt(body.length() - 1) <= 'm';
            String good = body + (exclaim ? "!" : ".");
            String bad = body + (exclaim ? "." : "!");
            out.add(TextPair.of(prompt, good, bad));
        }
        return out;
    }
}
