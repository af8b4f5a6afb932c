package dev.prefstream.trainer.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.el.JinjavaInterpreterResolver;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import com.hubspot.jinjava.objects.date.StrftimeFormatter;
import dev.prefstream.trainer.dpo.ChatTemplate;
import jinjava.javax.el.CompositeELResolver;

import java.time.Clock;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A Hugging Face Jinja chat template (the {@code chat_template} of {@code tokenizer_config.json}) rendered with
 * HubSpot's Jinjava set up the way transformers sets up Jinja2 for {@code apply_chat_template}:
 * <ul>
 *   <li>{@code trim_blocks} and {@code lstrip_blocks} on; {@code {{-}}/{@code -}}} and {@code {#- -#}} trim like
 *       Jinja2; filters bind tighter than {@code +} ({@code 'a' + content | trim + 'b'} trims only the content);</li>
 *   <li>the variables {@code messages} (maps with {@code role} and {@code content}), {@code add_generation_prompt},
 *       {@code tools} and {@code documents} (none), and the tokenizer's special tokens ({@code bos_token},
 *       {@code eos_token}, ...);</li>
 *   <li>the functions {@code raise_exception(message)} (a {@link ChatTemplateException} with the template's message)
 *       and {@code strftime_now(format)}; the {@code tojson} filter with Python's separators; the Python {@code str}
 *       methods templates call ({@link PythonStringMethods});</li>
 *   <li>message contents are data, never templates: a {@code {{ ... }}} inside a message is output verbatim
 *       (Jinjava's nested interpretation is off).</li>
 * </ul>
 * Known difference from Jinja2: a bare boolean prints as {@code true}, not {@code True} (templates test booleans,
 * they do not print them). Any fatal render error (unknown function, syntax error, raised exception) is a {@link ChatTemplateException}; the
 * output of a failed render is never used. A Jinjava engine is shared by all templates (it is immutable once
 * configured); the template text is parsed on every render, which costs tens of microseconds for chat-sized
 * templates, small beside tokenization.
 */
public final class JinjaChatTemplate {

    private static final ThreadLocal<RenderState> STATE = new ThreadLocal<>();
    private static final Jinjava ENGINE = engine();

    private final String source;

    /** @param source the template text (Jinja) */
    public JinjaChatTemplate(String source) {
        if (source == null || source.isBlank()) {
            throw new IllegalArgumentException("empty chat template");
        }
        this.source = source;
    }

    /** The template text. */
    public String source() {
        return source;
    }

    /**
     * Renders {@code messages} like transformers' {@code apply_chat_template(messages, tokenize=False,
     * add_generation_prompt=addGenerationPrompt)}.
     *
     * @param specialTokens the tokenizer's special tokens by variable name ({@code bos_token} -> {@code <s>}); absent
     *                      ones are undefined in the template, as in transformers
     * @param clock         time source of {@code strftime_now}
     * @throws ChatTemplateException with the template's message when it raises or cannot be rendered
     */
    public String render(List<ChatTemplate.Message> messages, boolean addGenerationPrompt, Map<String, String> specialTokens,
                         Clock clock) {
        List<Map<String, Object>> ms = new ArrayList<>(messages.size());
        for (ChatTemplate.Message m : messages) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("role", m.role());
            o.put("content", m.content());
            ms.add(o);
        }
        Map<String, Object> vars = new HashMap<>(specialTokens);
        vars.put("messages", ms);
        vars.put("add_generation_prompt", addGenerationPrompt);
        vars.put("tools", null);
        vars.put("documents", null);
        RenderState state = new RenderState(clock);
        STATE.set(state);
        RenderResult result;
        try {
            result = ENGINE.renderForResult(source, vars);
        } catch (ChatTemplateException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new ChatTemplateException(state.raised != null ? state.raised : "chat template failed: " + e.getMessage(), e);
        } finally {
            STATE.remove();
        }
        if (state.raised != null) {
            throw new ChatTemplateException(state.raised);
        }
        for (TemplateError e : result.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) {
                throw new ChatTemplateException("chat template error"
                        + (e.getLineno() > 0 ? " at line " + e.getLineno() : "") + ": " + e.getMessage());
            }
        }
        return result.getOutput();
    }

    /** {@code raise_exception(message)}: remembers the template's message and stops the render. */
    public static String raiseException(Object message) {
        String text = String.valueOf(message);
        RenderState s = STATE.get();
        if (s != null && s.raised == null) {
            s.raised = text;
        }
        throw new ChatTemplateException(text);
    }

    /** {@code strftime_now(format)}: the render clock's local time in Python's strftime format (English names). */
    public static String strftimeNow(String format) {
        RenderState s = STATE.get();
        Clock clock = s == null ? Clock.systemDefaultZone() : s.clock;
        return StrftimeFormatter.format(ZonedDateTime.now(clock), format, Locale.ENGLISH);
    }

    private static Jinjava engine() {
        CompositeELResolver resolver = new CompositeELResolver();
        resolver.add(new PythonStringMethods());
        resolver.add(JinjavaInterpreterResolver.DEFAULT_RESOLVER_READ_ONLY);
        JinjavaConfig config = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withNestedInterpretationEnabled(false)
                .withElResolver(resolver)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .withKeepNullableLoopValues(true)
                        .build())
                .build();
        Jinjava j = new Jinjava(config);
        try {
            j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception",
                    JinjaChatTemplate.class.getMethod("raiseException", Object.class)));
            j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now",
                    JinjaChatTemplate.class.getMethod("strftimeNow", String.class)));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException(e);
        }
        j.getGlobalContext().registerFilter(new PythonJsonFilter());
        return j;
    }

    /** Per-render state the static template functions reach (Jinjava renders on the calling thread). */
    private static final class RenderState {
        private final Clock clock;
        private String raised;

        private RenderState(Clock clock) {
            this.clock = clock;
        }
    }
}
