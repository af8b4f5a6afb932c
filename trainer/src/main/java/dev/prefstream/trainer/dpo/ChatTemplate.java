package dev.prefstream.trainer.dpo;

import java.util.List;
import java.util.Locale;

/**
 * Renders a conversation (role, content messages) into prompt text, in one simple documented format meant for
 * the built-in byte-level model:
 * <pre>
 *   &lt;|system|&gt;\n{content}\n&lt;|user|&gt;\n{content}\n...&lt;|assistant|&gt;\n
 * </pre>
 * i.e. every message as {@code <|role|>\n} + content + {@code \n}, followed by the generation prompt
 * {@code <|assistant|>\n}; the response text then follows directly. Roles are lower-cased and must be
 * system, user or assistant.
 *
 * <p>Hugging Face directories may carry a Jinja chat template in {@code tokenizer_config.json}; we do not render
 * Jinja. For such models, render the prompt upstream (the ingest side keeps the prompt text as given) or accept
 * this format, which a model fine-tuned here learns from the pairs themselves.
 */
public final class ChatTemplate {

    /** One message of a conversation. */
    public record Message(String role, String content) {
        public Message {
            if (role == null || content == null) {
                throw new IllegalArgumentException("role and content are required");
            }
            role = role.trim().toLowerCase(Locale.ROOT);
            if (!List.of("system", "user", "assistant").contains(role)) {
                throw new IllegalArgumentException("unknown chat role '" + role + "', expected system, user or assistant");
            }
        }
    }

    private ChatTemplate() {
    }

    /** Prompt text for {@code messages}, ending with the assistant generation prompt. */
    public static String render(List<Message> messages) {
        StringBuilder sb = new StringBuilder();
        for (Message m : messages) {
            sb.append("<|").append(m.role()).append("|>\n").append(m.content()).append('\n');
        }
        return sb.append("<|assistant|>\n").toString();
    }
}
