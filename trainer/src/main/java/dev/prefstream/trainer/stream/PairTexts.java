package dev.prefstream.trainer.stream;

import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.trainer.dpo.ChatTemplate;
import dev.prefstream.trainer.dpo.TextPair;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns a {@link PreferencePair} from the log into the trainer core's {@link TextPair}: the prompt messages rendered
 * with {@link ChatTemplate}, the pair's weight carried over. Trainer and evaluator use the same rendering.
 */
public final class PairTexts {

    private PairTexts() {
    }

    /** The text pair; an {@link IllegalArgumentException} names what is wrong (see {@link #problem}). */
    public static TextPair toTextPair(PreferencePair pair) {
        return new TextPair(renderPrompt(pair.getPrompt()), pair.getChosen(), pair.getRejected(), pair.getWeight());
    }

    /** The prompt text for a conversation (ends with the assistant generation prompt). */
    public static String renderPrompt(List<ChatMessage> messages) {
        List<ChatTemplate.Message> ms = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            ms.add(new ChatTemplate.Message(m.getRole(), m.getContent()));
        }
        return ChatTemplate.render(ms);
    }

    /** Why this pair cannot be trained (unknown chat role, bad weight, empty response), empty when it can. */
    public static Optional<String> problem(PreferencePair pair) {
        if (pair.getChosen().isEmpty() || pair.getRejected().isEmpty()) {
            return Optional.of("empty chosen or rejected response");
        }
        try {
            toTextPair(pair);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }
}
