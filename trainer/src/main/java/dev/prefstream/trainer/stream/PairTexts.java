package dev.prefstream.trainer.stream;

import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.trainer.chat.ChatFormat;
import dev.prefstream.trainer.chat.ChatTemplateException;
import dev.prefstream.trainer.dpo.ChatTemplate;
import dev.prefstream.trainer.dpo.TextPair;
import dev.prefstream.trainer.tokenizer.TextTokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Turns a {@link PreferencePair} from the log into the trainer core's {@link TextPair}: the prompt messages rendered
 * with the model's {@link ChatFormat} (its chat template, or the built-in format), the pair's weight carried over.
 * Trainer and evaluator use the same rendering: both take it from the model's tokenizer ({@link #of}).
 */
public final class PairTexts {

    /** Rendering with the built-in format (models without a chat template). */
    public static final PairTexts BUILTIN = new PairTexts(ChatFormat.builtin());

    /** Dead-letter reason of pairs that cannot be trained for a reason other than the chat template. */
    public static final String UNTRAINABLE = "untrainable_pair";

    /**
     * Why a pair cannot be trained.
     *
     * @param reason  the dead-letter reason: {@value ChatTemplateException#REASON} when the chat template refuses the
     *                prompt, else {@value #UNTRAINABLE}
     * @param message what is wrong (the template's own message for a template error)
     */
    public record Problem(String reason, String message) {
    }

    private final ChatFormat format;

    public PairTexts(ChatFormat format) {
        this.format = format;
    }

    /** Rendering with the chat format of the model whose tokenizer this is. */
    public static PairTexts of(TextTokenizer tokenizer) {
        return new PairTexts(tokenizer.chatFormat());
    }

    /** The chat format used. */
    public ChatFormat format() {
        return format;
    }

    /**
     * The text pair.
     *
     * @throws IllegalArgumentException when a message or the weight is invalid
     * @throws ChatTemplateException    when the chat template refuses the prompt
     */
    public TextPair toTextPair(PreferencePair pair) {
        return new TextPair(renderPrompt(pair.getPrompt()), pair.getChosen(), pair.getRejected(), pair.getWeight());
    }

    /** The prompt text for a conversation (ends with the assistant generation prompt). */
    public String renderPrompt(List<ChatMessage> messages) {
        List<ChatTemplate.Message> ms = new ArrayList<>(messages.size());
        for (ChatMessage m : messages) {
            ms.add(new ChatTemplate.Message(m.getRole(), m.getContent()));
        }
        return format.prompt(ms);
    }

    /** Why this pair cannot be trained (unknown chat role, template refusal, bad weight, empty response), empty when it can. */
    public Optional<Problem> problem(PreferencePair pair) {
        if (pair.getChosen().isEmpty() || pair.getRejected().isEmpty()) {
            return Optional.of(new Problem(UNTRAINABLE, "empty chosen or rejected response"));
        }
        try {
            toTextPair(pair);
            return Optional.empty();
        } catch (ChatTemplateException e) {
            return Optional.of(new Problem(ChatTemplateException.REASON, e.getMessage()));
        } catch (IllegalArgumentException e) {
            return Optional.of(new Problem(UNTRAINABLE, e.getMessage()));
        }
    }
}
