package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.schemas.avro.ChatMessage;

import java.util.ArrayList;
import java.util.List;

/** Small readers of the JSON shapes the dataset formats share. */
final class JsonFields {

    static final String MISSING_FIELD = "missing_field";
    static final String WRONG_TYPE = "wrong_type";

    private JsonFields() {
    }

    static JsonNode required(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new LineRejectedException(MISSING_FIELD, "no \"" + field + "\" field");
        }
        return value;
    }

    static String text(JsonNode node, String field) {
        JsonNode value = required(node, field);
        if (!value.isTextual()) {
            throw new LineRejectedException(WRONG_TYPE, "\"" + field + "\" is " + value.getNodeType() + ", expected a string");
        }
        return value.asText();
    }

    /** A message content: a string, or OpenAI-style parts [{"type":"text","text":...}] joined by newlines. */
    static String content(JsonNode content, String where) {
        if (content == null || content.isNull()) {
            return "";
        }
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            List<String> parts = new ArrayList<>();
            for (JsonNode part : content) {
                if (part.isTextual()) {
                    parts.add(part.asText());
                } else if (part.has("text")) {
                    parts.add(part.get("text").asText());
                }
            }
            return String.join("\n", parts);
        }
        throw new LineRejectedException(WRONG_TYPE, where + " content is " + content.getNodeType());
    }

    /** A list of {"role","content"} messages. */
    static List<ChatMessage> messages(JsonNode array, String field) {
        if (array == null || !array.isArray()) {
            throw new LineRejectedException(WRONG_TYPE, "\"" + field + "\" is not a list of messages");
        }
        List<ChatMessage> out = new ArrayList<>();
        for (JsonNode m : array) {
            if (!m.isObject() || !m.has("role")) {
                throw new LineRejectedException(WRONG_TYPE, "\"" + field + "\" has an entry without a role");
            }
            out.add(new ChatMessage(m.get("role").asText(), content(m.get("content"), field)));
        }
        return out;
    }

    /** The contents of assistant messages joined (one message in practice). */
    static String answer(List<ChatMessage> messages) {
        List<String> parts = new ArrayList<>();
        for (ChatMessage m : messages) {
            parts.add(m.getContent());
        }
        return String.join("\n\n", parts);
    }
}
