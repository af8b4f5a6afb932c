package dev.prefstream.trainer.dpo;

import dev.prefstream.trainer.tokenizer.ByteTokenizer;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Layout of the concatenated batch, EOS, masks and truncation with the byte tokenizer (1 byte = 1 id). */
class PairCollatorTest {

    private static final long EOS = ByteTokenizer.EOS_ID;
    private final ByteTokenizer tok = new ByteTokenizer();

    private static long[] row(CollatedBatch b, long[] flat, int r) {
        long[] out = new long[b.seqLen()];
        System.arraycopy(flat, r * b.seqLen(), out, 0, b.seqLen());
        return out;
    }

    private static float[] maskRow(CollatedBatch b, int r) {
        float[] out = new float[b.seqLen()];
        System.arraycopy(b.responseMask(), r * b.seqLen(), out, 0, b.seqLen());
        return out;
    }

    @Test
    void chosenRowsThenRejectedRowsRightPaddedWithEosAfterEachResponse() {
        PairCollator c = new PairCollator(tok, 64, 32, TruncationMode.KEEP_END);
        CollatedBatch b = c.collate(List.of(TextPair.of("ab", "xyz", "q"), TextPair.of("p", "m", "nnnn")));
        assertThat(b.pairs()).isEqualTo(2);
        assertThat(b.seqLen()).isEqualTo(6); // "ab" + "xyz" + EOS
        assertThat(row(b, b.ids(), 0)).containsExactly('a', 'b', 'x', 'y', 'z', EOS);
        assertThat(row(b, b.ids(), 1)).containsExactly('p', 'm', EOS, EOS, EOS, EOS);      // chosen of pair 2, padded
        assertThat(row(b, b.ids(), 2)).containsExactly('a', 'b', 'q', EOS, EOS, EOS);      // rejected of pair 1
        assertThat(row(b, b.ids(), 3)).containsExactly('p', 'n', 'n', 'n', 'n', EOS);
        assertThat(row(b, b.attention(), 1)).containsExactly(1, 1, 1, 0, 0, 0);
        assertThat(maskRow(b, 0)).containsExactly(0f, 0f, 1f, 1f, 1f, 1f);
        assertThat(maskRow(b, 1)).containsExactly(0f, 1f, 1f, 0f, 0f, 0f); // padding never counts
        assertThat(b.responseTokens()).containsExactly(4f, 2f, 2f, 5f);
        assertThat(b.realTokens()).isEqualTo(6 + 3 + 4 + 6);
        assertThat(b.truncatedPairs()).isZero();
    }

    @Test
    void promptCutFirstKeepingItsEndThenResponses() {
        PairCollator keepEnd = new PairCollator(tok, 8, 3, TruncationMode.KEEP_END);
        PairCollator.TokenizedPair tp = keepEnd.tokenize(TextPair.of("abcdef", "xy", "z"));
        assertThat(tp.prompt()).containsExactly('d', 'e', 'f');
        assertThat(tp.chosen()).containsExactly('x', 'y', EOS);
        assertThat(tp.promptTruncated()).isTrue();
        assertThat(tp.responsesTruncated()).isZero();

        PairCollator keepStart = new PairCollator(tok, 8, 3, TruncationMode.KEEP_START);
        assertThat(keepStart.tokenize(TextPair.of("abcdef", "xy", "z")).prompt()).containsExactly('a', 'b', 'c');

        // still too long after the prompt cut: responses are cut to maxLength - prompt (EOS may go)
        PairCollator.TokenizedPair longer = keepEnd.tokenize(TextPair.of("abcdef", "0123456789", "z"));
        assertThat(longer.prompt()).hasSize(3);
        assertThat(longer.chosen()).containsExactly('0', '1', '2', '3', '4');
        assertThat(longer.rejected()).containsExactly('z', EOS);
        assertThat(longer.responsesTruncated()).isEqualTo(1);

        CollatedBatch b = keepEnd.collate(List.of(TextPair.of("abcdef", "0123456789", "z"), TextPair.of("a", "b", "c")));
        assertThat(b.truncatedPairs()).isEqualTo(1);
        assertThat(b.truncatedPrompts()).isEqualTo(1);
        assertThat(b.truncatedResponses()).isEqualTo(1);
        assertThat(b.seqLen()).isLessThanOrEqualTo(8);
    }

    @Test
    void shortPromptIsKeptWhenOnlyTheResponseIsTooLong() {
        PairCollator c = new PairCollator(tok, 6, 4, TruncationMode.KEEP_END);
        PairCollator.TokenizedPair tp = c.tokenize(TextPair.of("ab", "0123456", "x"));
        assertThat(tp.prompt()).containsExactly('a', 'b');
        assertThat(tp.chosen()).containsExactly('0', '1', '2', '3');
        assertThat(tp.promptTruncated()).isFalse();
    }

    @Test
    void emptyPromptsFirstTokenHasNoPredictionAndDoesNotCount() {
        PairCollator c = new PairCollator(tok, 16, 8, TruncationMode.KEEP_END);
        CollatedBatch b = c.collate(List.of(TextPair.of("", "ab", "c")));
        assertThat(maskRow(b, 0)).startsWith(0f, 1f, 1f);
        assertThat(b.responseTokens()).containsExactly(2f, 1f);
    }

    @Test
    void rejectsBadLimitsAndEmptyBatches() {
        assertThatThrownBy(() -> new PairCollator(tok, 8, 8, TruncationMode.KEEP_END)).hasMessageContaining("maxPromptLength");
        PairCollator c = new PairCollator(tok, 8, 4, TruncationMode.KEEP_END);
        assertThatThrownBy(() -> c.collate(List.of())).hasMessageContaining("empty");
        assertThatThrownBy(() -> TextPair.of(null, "a", "b")).hasMessageContaining("required");
        assertThatThrownBy(() -> new TextPair("p", "a", "b", Double.NaN)).hasMessageContaining("weight");
    }

    @Test
    void chatTemplateRendersRolesAndGenerationPrompt() {
        String p = ChatTemplate.render(List.of(new ChatTemplate.Message("system", "be brief"),
                new ChatTemplate.Message("User", "hi")));
        assertThat(p).isEqualTo("<|system|>\nbe brief\n<|user|>\nhi\n<|assistant|>\n");
        assertThatThrownBy(() -> new ChatTemplate.Message("function", "x")).hasMessageContaining("unknown chat role");
    }

    @Test
    void contentKeyDependsOnAllThreeTextsAndTheirBoundaries() {
        assertThat(TextPair.of("a", "b", "c").contentKey()).isEqualTo(TextPair.of("a", "b", "c").contentKey());
        assertThat(TextPair.of("ab", "", "c").contentKey()).isNotEqualTo(TextPair.of("a", "b", "c").contentKey());
    }
}
