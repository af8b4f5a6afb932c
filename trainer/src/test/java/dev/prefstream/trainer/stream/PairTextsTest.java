package dev.prefstream.trainer.stream;

import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.trainer.chat.ChatFormat;
import dev.prefstream.trainer.chat.ChatTemplates;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** Why a pair cannot be trained, with the dead-letter reason the streaming trainer uses. */
class PairTextsTest {

    @Test
    void aPairTheTemplateRefusesIsAChatTemplateProblemWithTheTemplatesMessage() {
        PairTexts texts = new PairTexts(ChatFormat.jinja(ChatTemplates.mistral(), java.util.Map.of("bos_token", "<s>", "eos_token", "</s>"), "m"));
        PreferencePair bad = pair(List.of(msg("user", "a"), msg("user", "b")));
        assertThat(texts.problem(bad)).hasValueSatisfying(p -> {
            assertThat(p.reason()).isEqualTo("chat_template");
            assertThat(p.message()).isEqualTo("After the optional system message, conversation roles must alternate user/assistant/user/assistant/...");
        });
        assertThat(texts.problem(pair(List.of(msg("user", "a"))))).isEmpty();
        assertThat(texts.problem(pair(List.of(msg("narrator", "a"))))).hasValueSatisfying(p -> assertThat(p.reason()).isEqualTo("untrainable_pair"));
        // the built-in format passes tool messages through
        assertThat(PairTexts.BUILTIN.problem(pair(List.of(msg("user", "a"), msg("tool", "42"))))).isEmpty();
    }

    private static ChatMessage msg(String role, String content) {
        return ChatMessage.newBuilder().setRole(role).setContent(content).build();
    }

    private static PreferencePair pair(List<ChatMessage> prompt) {
        PreferencePair p = TestPairs.pair("p1", "q", "yes", "no");
        p.setPrompt(prompt);
        return p;
    }
}
