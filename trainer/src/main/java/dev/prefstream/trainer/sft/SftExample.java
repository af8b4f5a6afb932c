package dev.prefstream.trainer.sft;

/**
 * One supervised demonstration.
 *
 * @param prompt   the prompt, already rendered with the chat template (not trained on)
 * @param response the demonstrated answer (trained on, followed by EOS)
 */
public record SftExample(String prompt, String response) {

    public SftExample {
        if (prompt == null || response == null) {
            throw new IllegalArgumentException("prompt and response are required");
        }
    }
}
