package dev.prefstream.trainer.chat;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Test chat templates in the shape of published instruct models' templates (test resources under
 * {@code chat-templates/}): Qwen2.5's ChatML with its default system message and tool responses, Llama-3's header
 * tokens with BOS, Mistral's {@code [INST]} (raises on roles out of order), Gemma's (no system role).
 */
public final class ChatTemplates {

    private ChatTemplates() {
    }

    public static String qwen25() {
        return load("qwen2.5.jinja");
    }

    public static String llama3() {
        return load("llama3.jinja");
    }

    public static String mistral() {
        return load("mistral.jinja");
    }

    public static String gemma() {
        return load("gemma.jinja");
    }

    public static String load(String name) {
        try (InputStream in = ChatTemplates.class.getResourceAsStream("/chat-templates/" + name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource chat-templates/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
