package dev.prefstream.ingest.canonical;

import dev.prefstream.schemas.avro.ChatMessage;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ContentHashTest {

    @Test
    void canonicalPromptIsJcsStyleJsonOfNormalizedMessages() {
        List<ChatMessage> prompt = List.of(new ChatMessage(" System", "Be  brief.\n"), new ChatMessage("USER", "Say \"hi\"\tplease"));
        assertThat(ContentHash.canonicalPrompt(prompt))
                .isEqualTo("[{\"content\":\"Be brief.\",\"role\":\"system\"},{\"content\":\"Say \\\"hi\\\" please\",\"role\":\"user\"}]");
        // a known vector: sha256 of that exact string, so other implementations can check theirs
        assertThat(ContentHash.promptId(prompt)).isEqualTo(ContentHash.sha256Hex(ContentHash.canonicalPrompt(prompt))).hasSize(64);
        assertThat(ContentHash.promptId(List.of(new ChatMessage("user", "hello")))).isEqualTo(
                ContentHash.sha256Hex("[{\"content\":\"hello\",\"role\":\"user\"}]"));
        assertThat(ContentHash.sha256Hex("[{\"content\":\"hello\",\"role\":\"user\"}]"))
                .isEqualTo(ContentHash.promptId(List.of(new ChatMessage(" user ", " hello\n"))));
    }

    @Test
    void samePromptSpacedDifferentlyHasOneIdAndRolesAndOrderMatter() {
        String id = ContentHash.promptId(List.of(new ChatMessage("user", "What is\n\n  Kafka?")));
        assertThat(ContentHash.promptId(List.of(new ChatMessage("user", "What is Kafka?")))).isEqualTo(id);
        assertThat(ContentHash.promptId(List.of(new ChatMessage("assistant", "What is Kafka?")))).isNotEqualTo(id);
        assertThat(ContentHash.promptId(List.of(new ChatMessage("user", "a"), new ChatMessage("user", "b"))))
                .isNotEqualTo(ContentHash.promptId(List.of(new ChatMessage("user", "b"), new ChatMessage("user", "a"))));
    }

    @Test
    void pairIdDependsOnDirectionAndNormalizedTexts() {
        assertThat(ContentHash.pairId("p", "Yes.", "No.")).isEqualTo(ContentHash.pairId("p", " Yes. ", "No.\n"));
        assertThat(ContentHash.pairId("p", "Yes.", "No.")).isNotEqualTo(ContentHash.pairId("p", "No.", "Yes."));
        assertThat(ContentHash.pairId("p", "Yes.", "No.")).isNotEqualTo(ContentHash.pairId("q", "Yes.", "No."));
    }

    @Test
    void normalizationCollapsesUnicodeSpaceAndComposes() {
        assertThat(TextNormalizer.normalize("  caf\u0065\u0301\u00a0 au\u2003lait \n")).isEqualTo("caf\u00e9 au lait");
        assertThat(TextNormalizer.normalize("plain text")).isSameAs("plain text".intern());
        assertThat(TextNormalizer.isBlank(" \u2003\n\t")).isTrue();
        assertThat(TextNormalizer.isBlank(" x ")).isFalse();
    }

    @Test
    void idsAreTheHashOfTheCanonicalJsonTextForEveryKindOfCharacter() {
        // the writer hashes UTF-8 bytes it writes directly (a fast path for printable ASCII); the ids must be those of
        // the canonical JSON text, escaped as JCS does, encoded as UTF-8
        List<String> texts = List.of("", "plain words.", "say \"hi\"", "back\\slash", "ctl\u0001x\u001fy", "del\u007f",
                "caf\u00e9", "\u4f60\u597d", "emoji \ud83d\ude00 ok", "tab\tnew\nline", "mixed \"q\" \u00e9 \u0002");
        for (String a : texts) {
            for (String b : texts) {
                String expectedPair = ContentHash.sha256Hex("{\"chosen\":" + jcs(a) + ",\"prompt_id\":" + jcs("p1") + ",\"rejected\":" + jcs(b) + "}");
                assertThat(ContentHash.pairIdOfNormalized("p1", a, b)).as("%s / %s", a, b).isEqualTo(expectedPair);
            }
            List<ChatMessage> prompt = List.of(new ChatMessage("system", "Be brief."), new ChatMessage("user", a));
            String expectedJson = "[{\"content\":\"Be brief.\",\"role\":\"system\"},{\"content\":" + jcs(TextNormalizer.normalize(a)) + ",\"role\":\"user\"}]";
            assertThat(ContentHash.canonicalPrompt(prompt)).isEqualTo(expectedJson);
            assertThat(ContentHash.promptId(prompt)).as(a).isEqualTo(ContentHash.sha256Hex(expectedJson));
        }
    }

    /** JCS string escaping, written out plainly as the reference. */
    private static String jcs(String value) {
        StringBuilder s = new StringBuilder("\"");
        for (char c : value.toCharArray()) {
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\b' -> s.append("\\b");
                case '\f' -> s.append("\\f");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> s.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return s.append('"').toString();
    }
}
