package dev.prefstream.trainer.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.trainer.dpo.ChatTemplate;
import dev.prefstream.trainer.model.ModelFormatException;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How a model's conversations become text: the model's own Jinja {@code chat_template} (from
 * {@code tokenizer_config.json}, or a {@code --chat-template FILE} override) with its special tokens, or the built-in
 * {@link ChatTemplate} format for models without one (the built-in presets, the demo's tiny model).
 *
 * <p><b>Where a response ends.</b> Prompt + response are scored as {@code prompt text} + {@code response text} +
 * one terminating token. That token is the template's end-of-turn token when the template closes assistant turns
 * with one ({@code <|im_end|>} for ChatML/Qwen, {@code <|eot_id|>} for Llama-3, {@code <end_of_turn>} for Gemma,
 * {@code </s>} for Mistral), else the tokenizer's EOS. It is found by rendering a probe conversation (see
 * {@link #endOfTurnToken()}). Why: a chat model ends its answer by emitting exactly that token (chat serving
 * stacks stop on it), so the log-probability of "this answer, then end of turn" is what DPO should move; the bare
 * EOS of such models ({@code <|endoftext|>}, {@code <|end_of_text|>}, {@code <eos>}) follows a finished document,
 * not an assistant turn, and training it after every answer would teach the model a stop it never uses in chat.
 * The whitespace a template writes after the token ({@code "\n"} in ChatML) frames the next turn and is not part
 * of the answer.
 */
public final class ChatFormat {

    /** The variables transformers passes for the tokenizer's special tokens (those that are set). */
    public static final List<String> SPECIAL_TOKEN_KEYS =
            List.of("bos_token", "eos_token", "unk_token", "pad_token", "sep_token", "cls_token", "mask_token");

    private static final ChatFormat BUILTIN = new ChatFormat(null, Map.of(), "built-in <|role|> format", Clock.systemDefaultZone());
    private static final String PROBE_USER = "Hi";
    private static final String PROBE_ANSWER = "PREFSTREAM_PROBE_ANSWER";

    private final JinjaChatTemplate template;
    private final Map<String, String> specialTokens;
    private final String origin;
    private final Clock clock;
    private volatile Optional<String> endOfTurn;

    private ChatFormat(JinjaChatTemplate template, Map<String, String> specialTokens, String origin, Clock clock) {
        this.template = template;
        this.specialTokens = Map.copyOf(specialTokens);
        this.origin = origin;
        this.clock = clock;
    }

    /** The built-in format (no template, no special tokens). */
    public static ChatFormat builtin() {
        return BUILTIN;
    }

    /** A Jinja template with these special tokens ({@code bos_token} -> text ...); {@code origin} names it in messages. */
    public static ChatFormat jinja(String template, Map<String, String> specialTokens, String origin) {
        return new ChatFormat(new JinjaChatTemplate(template), specialTokens, origin, Clock.systemDefaultZone());
    }

    /**
     * The format a {@code tokenizer_config.json} declares: its {@code chat_template} (a string, or a list of
     * {@code {name, template}} of which {@code default} is used, as transformers does) with its special tokens
     * (strings or {@code {"content": ...}} objects), or the built-in format when it has none.
     *
     * @param eosToken the tokenizer's EOS text, used as {@code eos_token} when the config does not name one
     * @throws ModelFormatException when {@code chat_template} is of another shape or a list without {@code default}
     */
    public static ChatFormat fromTokenizerConfig(JsonNode config, String eosToken, String source) {
        Map<String, String> tokens = specialTokens(config);
        if (eosToken != null) {
            tokens.putIfAbsent("eos_token", eosToken);
        }
        JsonNode t = config == null ? null : config.get("chat_template");
        if (t == null || t.isNull()) {
            return new ChatFormat(null, tokens, BUILTIN.origin, Clock.systemDefaultZone());
        }
        String text;
        if (t.isTextual()) {
            text = t.asText();
        } else if (t.isArray()) {
            text = null;
            for (JsonNode named : t) {
                if ("default".equals(named.path("name").asText())) {
                    text = named.path("template").asText(null);
                }
            }
            if (text == null) {
                throw new ModelFormatException(source + ": chat_template lists named templates but none is named 'default'");
            }
        } else {
            throw new ModelFormatException(source + ": chat_template must be a string or a list of {name, template}, got " + t.getNodeType());
        }
        return new ChatFormat(new JinjaChatTemplate(text), tokens, source + " chat_template", Clock.systemDefaultZone());
    }

    private static Map<String, String> specialTokens(JsonNode config) {
        Map<String, String> out = new LinkedHashMap<>();
        if (config == null) {
            return out;
        }
        for (String key : SPECIAL_TOKEN_KEYS) {
            JsonNode v = config.get(key);
            String text = v == null || v.isNull() ? null : v.isObject() ? v.path("content").asText(null) : v.asText(null);
            if (text != null) {
                out.put(key, text);
            }
        }
        return out;
    }

    /** The same special tokens rendered with {@code templateText} instead ({@code --chat-template FILE}). */
    public ChatFormat withTemplate(String templateText, String templateOrigin) {
        return new ChatFormat(new JinjaChatTemplate(templateText), specialTokens, templateOrigin, clock);
    }

    /** The same format with {@code strftime_now} reading {@code c} (tests pin the date). */
    public ChatFormat withClock(Clock c) {
        return new ChatFormat(template, specialTokens, origin, c);
    }

    /** True for the built-in format. */
    public boolean isBuiltin() {
        return template == null;
    }

    /** The Jinja template text, empty for the built-in format. */
    public Optional<String> templateText() {
        return template == null ? Optional.empty() : Optional.of(template.source());
    }

    /** Where the template comes from (for logs and error messages). */
    public String origin() {
        return origin;
    }

    /** The special tokens passed to the template. */
    public Map<String, String> specialTokens() {
        return specialTokens;
    }

    /** The prompt text: the conversation followed by the assistant generation prompt. */
    public String prompt(List<ChatTemplate.Message> messages) {
        return render(messages, true);
    }

    /**
     * The conversation as text, like {@code apply_chat_template(messages, tokenize=False,
     * add_generation_prompt=addGenerationPrompt)}.
     *
     * @throws ChatTemplateException when the template refuses the conversation (its message) or fails
     */
    public String render(List<ChatTemplate.Message> messages, boolean addGenerationPrompt) {
        if (template == null) {
            return ChatTemplate.render(messages, addGenerationPrompt);
        }
        return template.render(messages, addGenerationPrompt, specialTokens, clock);
    }

    /**
     * The text of the token that ends an assistant turn in this format, empty when the response should end with the
     * tokenizer's EOS (see the class comment). Found once by rendering {@code [user, assistant]} without a
     * generation prompt and {@code [user]} with one: when the first starts with the second followed by the answer,
     * what follows the answer (trailing whitespace removed) is the end-of-turn text. Empty when that is nothing
     * (the built-in format) or the template cannot render the probe.
     */
    public Optional<String> endOfTurnToken() {
        Optional<String> e = endOfTurn;
        if (e == null) {
            e = probeEndOfTurn();
            endOfTurn = e;
        }
        return e;
    }

    private Optional<String> probeEndOfTurn() {
        if (template == null) {
            return Optional.empty();
        }
        try {
            ChatTemplate.Message user = new ChatTemplate.Message("user", PROBE_USER);
            String prompt = render(List.of(user), true);
            String full = render(List.of(user, new ChatTemplate.Message("assistant", PROBE_ANSWER)), false);
            if (!full.startsWith(prompt)) {
                return Optional.empty();
            }
            String rest = full.substring(prompt.length());
            int at = rest.indexOf(PROBE_ANSWER);
            if (at < 0 || !rest.substring(0, at).isBlank()) {
                return Optional.empty();
            }
            String end = rest.substring(at + PROBE_ANSWER.length()).strip();
            return end.isEmpty() ? Optional.empty() : Optional.of(end);
        } catch (ChatTemplateException e) {
            return Optional.empty();
        }
    }

    @Override
    public String toString() {
        return origin;
    }
}
