package dev.prefstream.trainer.chat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.prefstream.trainer.dpo.ChatTemplate;
import dev.prefstream.trainer.dpo.ChatTemplate.Message;
import dev.prefstream.trainer.model.ModelFormatException;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Real-shaped chat templates rendered to the exact strings transformers' {@code apply_chat_template(messages,
 * add_generation_prompt=True, tokenize=False)} gives for them (written out by hand from the templates' published
 * behaviour; {@code scripts/render_chat_template.py} renders the same templates with Python's Jinja2 side by side).
 */
class ChatFormatTest {

    private static final Map<String, String> QWEN_TOKENS = Map.of("eos_token", "<|im_end|>", "pad_token", "<|endoftext|>");
    private static final Map<String, String> LLAMA_TOKENS = Map.of("bos_token", "<|begin_of_text|>", "eos_token", "<|eot_id|>");
    private static final Map<String, String> MISTRAL_TOKENS = Map.of("bos_token", "<s>", "eos_token", "</s>", "unk_token", "<unk>");
    private static final Map<String, String> GEMMA_TOKENS = Map.of("bos_token", "<bos>", "eos_token", "<eos>", "pad_token", "<pad>");

    private static Message m(String role, String content) {
        return new Message(role, content);
    }

    @Test
    void qwenChatMlAddsTheDefaultSystemMessageWhenNoneIsGiven() {
        ChatFormat f = ChatFormat.jinja(ChatTemplates.qwen25(), QWEN_TOKENS, "qwen");
        assertThat(f.prompt(List.of(m("user", "What is 2+2?"))))
                .isEqualTo("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
                        + "<|im_start|>assistant\n");
        assertThat(f.endOfTurnToken()).contains("<|im_end|>");
    }

    @Test
    void qwenChatMlKeepsAGivenSystemMessageAndContentVerbatim() {
        ChatFormat f = ChatFormat.jinja(ChatTemplates.qwen25(), QWEN_TOKENS, "qwen");
        assertThat(f.prompt(List.of(m("system", "Be brief."), m("user", "  Hi {{ 7*7 }} "), m("assistant", "Hello."),
                m("user", "Again"))))
                .isEqualTo("<|im_start|>system\nBe brief.<|im_end|>\n"
                        + "<|im_start|>user\n  Hi {{ 7*7 }} <|im_end|>\n"
                        + "<|im_start|>assistant\nHello.<|im_end|>\n"
                        + "<|im_start|>user\nAgain<|im_end|>\n"
                        + "<|im_start|>assistant\n");
    }

    @Test
    void qwenRendersToolMessagesAsToolResponsesInOneUserTurn() {
        ChatFormat f = ChatFormat.jinja(ChatTemplates.qwen25(), QWEN_TOKENS, "qwen");
        assertThat(f.prompt(List.of(m("user", "Weather?"), m("assistant", "Checking."), m("tool", "{\"temp\": 21}"),
                m("tool", "sunny"))))
                .isEqualTo("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                        + "<|im_start|>user\nWeather?<|im_end|>\n"
                        + "<|im_start|>assistant\nChecking.<|im_end|>\n"
                        + "<|im_start|>user\n<tool_response>\n{\"temp\": 21}\n</tool_response>\n<tool_response>\nsunny\n</tool_response><|im_end|>\n"
                        + "<|im_start|>assistant\n");
    }

    @Test
    void withoutGenerationPromptTheLastTurnIsClosed() {
        ChatFormat f = ChatFormat.jinja(ChatTemplates.qwen25(), QWEN_TOKENS, "qwen");
        assertThat(f.render(List.of(m("system", "S"), m("user", "U")), false))
                .isEqualTo("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nU<|im_end|>\n");
    }

    @Test
    void llama3HeadersWithBosAndTrimmedContents() {
        ChatFormat f = ChatFormat.jinja(ChatTemplates.llama3(), LLAMA_TOKENS, "llama3");
        assertThat(f.prompt(List.of(m("system", "You are a pirate."), m("user", "  Hello!\n"))))
                .isEqualTo("<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are a pirate.<|eot_id|>"
                        + "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
                        + "<|start_header_id|>assistant<|end_header_id|>\n\n");
        assertThat(f.endOfTurnToken()).contains("<|eot_id|>");
    }

    @Test
    void mistralInstWithTheSystemMessageFoldedIntoTheLastUserTurn() {
        ChatFormat f = ChatFormat.jinja(ChatTemplates.mistral(), MISTRAL_TOKENS, "mistral");
        assertThat(f.prompt(List.of(m("system", "Be terse."), m("user", "Hi"), m("assistant", " Hello "), m("user", "Bye"))))
                .isEqualTo("<s>[INST] Hi[/INST] Hello</s>[INST] Be terse.\n\nBye[/INST]");
        assertThat(f.endOfTurnToken()).contains("</s>");
    }

    @Test
    void mistralRaisesOnRolesOutOfOrderWithTheTemplatesMessage() {
        ChatFormat f = ChatFormat.jinja(ChatTemplates.mistral(), MISTRAL_TOKENS, "mistral");
        assertThatThrownBy(() -> f.prompt(List.of(m("user", "a"), m("user", "b"))))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessage("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...");
        assertThatThrownBy(() -> f.prompt(List.of(m("assistant", "first"))))
                .isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("must alternate");
    }

    @Test
    void gemmaMapsAssistantToModelAndRefusesASystemMessage() {
        ChatFormat f = ChatFormat.jinja(ChatTemplates.gemma(), GEMMA_TOKENS, "gemma");
        assertThat(f.prompt(List.of(m("user", "Hi "), m("assistant", "Hello"), m("user", "Joke?"))))
                .isEqualTo("<bos><start_of_turn>user\nHi<end_of_turn>\n<start_of_turn>model\nHello<end_of_turn>\n"
                        + "<start_of_turn>user\nJoke?<end_of_turn>\n<start_of_turn>model\n");
        assertThat(f.endOfTurnToken()).contains("<end_of_turn>");
        assertThatThrownBy(() -> f.prompt(List.of(m("system", "s"), m("user", "u"))))
                .isInstanceOf(ChatTemplateException.class).hasMessage("System role not supported");
    }

    @Test
    void builtinFormatEndsResponsesWithEos() {
        ChatFormat f = ChatFormat.builtin();
        assertThat(f.prompt(List.of(m("user", "hi"), m("tool", "42")))).isEqualTo("<|user|>\nhi\n<|tool|>\n42\n<|assistant|>\n");
        assertThat(f.render(List.of(m("user", "hi")), false)).isEqualTo("<|user|>\nhi\n");
        assertThat(f.endOfTurnToken()).isEmpty();
        assertThat(f.isBuiltin()).isTrue();
    }

    @Test
    void strftimeNowReadsTheRenderClock() {
        Clock clock = Clock.fixed(Instant.parse("2024-07-26T10:00:00Z"), ZoneOffset.UTC);
        ChatFormat f = ChatFormat.jinja("{{ 'Today Date: ' + strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M') }}",
                Map.of(), "t").withClock(clock);
        assertThat(f.prompt(List.of(m("user", "x")))).isEqualTo("Today Date: 26 Jul 2024|2024-07-26 10:00");
    }

    @Test
    void pythonStringMethodsBehaveAsInPython() {
        ChatFormat f = ChatFormat.jinja("{% for message in messages %}"
                + "{{ message.role.title() }}:{{ message.content.strip() }}|{{ message.content.upper() }}|{{ message.content.lower() }}"
                + "|{{ 'y' if message.content.startswith(' a') }}|{{ 'y' if message.content.endswith(('x', 'C ')) }}{{ 'n' if message.content.startswith('b') }}"
                + "|{{ message.content.split() | join(',') }}|{{ message.content.split('b')[-1] }}"
                + "|{{ message.content.lstrip(' a') }}|{{ 'they\\'re ok'.title() }}{% endfor %}", Map.of(), "t");
        assertThat(f.prompt(List.of(m("user", " a bC ")))).isEqualTo("User:a bC| A BC | a bc |y|y|a,bC|C |bC |They'Re Ok");
    }

    @Test
    void namespaceLoopAndSlicingWork() {
        ChatFormat f = ChatFormat.jinja("{%- set ns = namespace(n=0) %}{%- for message in messages[1:] %}"
                + "{%- set ns.n = ns.n + message.content | length %}{{ loop.index }}/{{ loop.length }}{{ '.' if loop.last }}"
                + "{%- endfor %} total={{ ns.n }} first={{ messages[0]['content'] }} {{ messages | length }}", Map.of(), "t");
        assertThat(f.prompt(List.of(m("user", "x"), m("assistant", "ab"), m("user", "cde")))).isEqualTo("1/22/2. total=5 first=x 3");
    }

    @Test
    void tojsonUsesPythonSeparators() {
        assertThat(PythonJsonFilter.dumps(Map.of("a", List.of(1, "é\n")), null)).isEqualTo("{\"a\": [1, \"é\\n\"]}");
        assertThat(PythonJsonFilter.dumps(new java.util.LinkedHashMap<>(Map.of("a", List.of(1))), 2)).isEqualTo("{\n  \"a\": [\n    1\n  ]\n}");
    }

    @Test
    void unknownFunctionIsATemplateErrorNotGarbage() {
        ChatFormat f = ChatFormat.jinja("{{ no_such_function() }}", Map.of(), "t");
        assertThatThrownBy(() -> f.prompt(List.of(m("user", "x")))).isInstanceOf(ChatTemplateException.class)
                .hasMessageContaining("no_such_function");
    }

    @Test
    void tokenizerConfigChatTemplateAsStringOrNamedList() throws Exception {
        ObjectMapper json = new ObjectMapper();
        ChatFormat s = ChatFormat.fromTokenizerConfig(json.readTree(
                "{\"chat_template\": \"{{ bos_token }}{{ messages[0].content }}\", \"bos_token\": {\"content\": \"<s>\"}}"), null, "cfg");
        assertThat(s.prompt(List.of(m("user", "x")))).isEqualTo("<s>x");
        ChatFormat named = ChatFormat.fromTokenizerConfig(json.readTree(
                "{\"chat_template\": [{\"name\": \"tool_use\", \"template\": \"T\"}, {\"name\": \"default\", \"template\": \"D{{ eos_token }}\"}]}"),
                "</s>", "cfg");
        assertThat(named.prompt(List.of(m("user", "x")))).isEqualTo("D</s>");
        assertThat(ChatFormat.fromTokenizerConfig(json.readTree("{\"eos_token\": \"e\"}"), null, "cfg").isBuiltin()).isTrue();
        assertThatThrownBy(() -> ChatFormat.fromTokenizerConfig(json.readTree("{\"chat_template\": [{\"name\": \"x\", \"template\": \"T\"}]}"),
                null, "cfg")).isInstanceOf(ModelFormatException.class).hasMessageContaining("default");
    }

    @Test
    void toolRoleIsAllowedUnknownRolesAreNot() {
        assertThat(new ChatTemplate.Message("Tool", "x").role()).isEqualTo("tool");
        assertThatThrownBy(() -> new ChatTemplate.Message("function", "x")).hasMessageContaining("unknown chat role");
    }
}
