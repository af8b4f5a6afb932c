package dev.prefstream.cli.demo;

import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.trainer.dpo.ChatTemplate;

import java.util.List;

/**
 * One request of the demo task: "write the letter {@code letter} exactly {@code count} times".
 *
 * @param letter the letter to write (a-z)
 * @param count  how many times (>= 1)
 */
public record TaskPrompt(char letter, int count) {

    public TaskPrompt {
        if (letter < 'a' || letter > 'z') {
            throw new IllegalArgumentException("letter must be in a-z, got '" + letter + "'");
        }
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1, got " + count);
        }
    }

    /** The user's message. */
    public String userMessage() {
        return "Write the letter " + letter + " exactly " + count + " times.";
    }

    /** The conversation as it travels on Kafka. */
    public List<ChatMessage> chatMessages() {
        return List.of(new ChatMessage("user", userMessage()));
    }

    /** The prompt text the model sees (the trainer renders pairs with the same template). */
    public String rendered() {
        return ChatTemplate.render(List.of(new ChatTemplate.Message("user", userMessage())));
    }

    /** The perfect answer. */
    public String idealAnswer() {
        return String.valueOf(letter).repeat(count);
    }
}
