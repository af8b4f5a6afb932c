package dev.prefstream.trainer.model;

/**
 * One generated continuation.
 *
 * @param tokens       the new token ids, without the prompt and without the EOS
 * @param stoppedAtEos true when the model emitted EOS, false when maxNewTokens (or the context) ran out
 */
public record Generation(long[] tokens, boolean stoppedAtEos) {
}
