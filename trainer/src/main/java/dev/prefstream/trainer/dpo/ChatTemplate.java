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
 * {@code <|assistant|>\n}; the response text then follows directly. Roles are lower-cased and must be one the
 * pair schema allows: system, user, assistant or tool.
 *
 * <p>This is the built-in format of models without a chat template (the built-in presets, the demo's tiny model).
 * A Hugging Face directory whose {@code tokenizer_config.json} has a {@code chat_template} is rendered with that
 * template instead (see {@link dev.prefstream.trainer.chat.ChatFormat}).
 */
public final class ChatTemplate {

    /** The roles a message may have (those of the pair schema). */
    public static final List<String> ROLES = List.of("system", "user", "assistant", "tool");

    /** One message of a conversation. */
    public record Message(String role, String content) {
        public Message {
            if (role == null || content == null) {
                throw new IllegalArgumentException("role and content are required");
            }
            role = role.trim().toLowerCase(Locale.ROOT);
            if (!ROLES.contains(role)) {
                throw new IllegalArgumentException("unknown chat role '" + role + "', expected system, user, assistant or tool");
            }
        }
    }

    private ChatTemplate() {
    }

    /** Prompt text for {@code messages}, ending with the assistant generation prompt. */
    public static String render(List<Message> messages) {
        return render(messages, true);
    }

    /** The conversation's text, with the assistant generation prompt at the end when {@code addGenerationPrompt}. */
    public static String render(List<Message> messages, boolean addGenerationPrompt) {
        StringBuilder sb = new StringBuilder();
        for (Message m : messages) {
            sb.append("<|").append(m.role()).append("|>\n").append(m.content()).append('\n');
        }
        return addGenerationPrompt ? sb.append("<|assistant|>\n").toString() : sb.toString();
    }
}
