package dev.prefstream.trainer.dpo;

/**
 * A row's token budget: at most {@code maxLength} tokens of prompt + response, the prompt cut to
 * {@code maxPromptLength} when the row is too long.
 */
public record SequenceLimits(int maxLength, int maxPromptLength) {

    public SequenceLimits {
        if (maxPromptLength < 1 || maxPromptLength >= maxLength) {
            throw new IllegalArgumentException("need 1 <= maxPromptLength < maxLength, got " + maxPromptLength + " / "
                    + maxLength);
        }
    }

    /**
     * These limits on a model with {@code maxPositions} positions: unchanged when they fit, else max length cut to
     * the positions and the prompt share scaled by the same factor (TRL's 1024 / 512 on a 128-position model gives
     * 128 / 64), so no row reaches past the position table.
     */
    public SequenceLimits fitTo(int maxPositions) {
        if (maxLength <= maxPositions) {
            return this;
        }
        int prompt = (int) Math.max(1, Math.min(maxPositions - 1L, (long) maxPromptLength * maxPositions / maxLength));
        return new SequenceLimits(maxPositions, prompt);
    }
}
