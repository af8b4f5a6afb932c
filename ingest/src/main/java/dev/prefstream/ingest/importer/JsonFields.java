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

    /** The first of {@code fields} that is a non-blank string, or null. */
    static String optionalText(JsonNode node, String... fields) {
        for (String field : fields) {
            JsonNode value = node.get(field);
            if (value != null && value.isTextual() && !value.asText().isBlank()) {
                return value.asText();
            }
        }
        return null;
    }

    /** A finite number, or a string holding one; null otherwise (null, "N/A", NaN, infinities). */
    static Double number(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        double d;
        if (value.isNumber()) {
            d = value.asDouble();
        } else if (value.isTextual()) {
            try {
                d = Double.parseDouble(value.asText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        } else {
            return null;
        }
        return Double.isFinite(d) ? d : null;
    }

    /**
     * A yes/no label: true/false, 1/0, or a string of either ("1", "false"); anything else is rejected as
     * {@value #WRONG_TYPE}, naming the field and the value.
     */
    static boolean binary(JsonNode value, String field) {
        if (value.isBoolean()) {
            return value.booleanValue();
        }
        if (value.isIntegralNumber() && (value.longValue() == 0 || value.longValue() == 1)) {
            return value.longValue() == 1;
        }
        if (value.isTextual()) {
            switch (value.asText().trim().toLowerCase(java.util.Locale.ROOT)) {
                case "true", "1" -> {
                    return true;
                }
                case "false", "0" -> {
                    return false;
                }
                default -> {
                }
            }
        }
        throw new LineRejectedException(WRONG_TYPE, "\"" + field + "\" is " + value + ", expected 1 or 0 (true or false)");
    }

    /**
     * Copies the dataset's own fields worth keeping into the event metadata as {@code <prefix>.<field>}: numbers,
     * booleans and strings as their text, lists of them joined with ","; absent, null and nested values are skipped.
     */
    static void copyToMetadata(JsonNode line, java.util.Map<String, String> metadata, String prefix, String... fields) {
        for (String field : fields) {
            JsonNode value = line.get(field);
            String text = null;
            if (value != null && value.isFloatingPointNumber()) {
                // 1682351591.1322, not 1.6823515911322E9
                text = value.decimalValue().toPlainString();
            } else if (value != null && value.isValueNode() && !value.isNull()) {
                text = value.asText();
            } else if (value != null && value.isArray()) {
                List<String> items = new ArrayList<>();
                value.forEach(v -> {
                    if (v.isValueNode() && !v.isNull()) {
                        items.add(v.asText());
                    }
                });
                text = items.isEmpty() ? null : String.join(",", items);
            }
            if (text != null) {
                metadata.put(prefix + "." + field, text);
            }
        }
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

    /** A prompt field: a string is one user message, a list is the conversation. */
    static List<ChatMessage> prompt(JsonNode prompt, String field) {
        if (prompt.isTextual()) {
            return List.of(new ChatMessage("user", prompt.asText()));
        }
        return messages(prompt, field);
    }

    /**
     * {@code messages} without the leading ones equal to {@code prefix} (role and whitespace-trimmed content), when
     * it starts with all of them and keeps at least one; else {@code messages} unchanged. Datasets such as
     * ultrafeedback_binarized repeat the prompt turn inside chosen/rejected; stripping it keeps the prompt single.
     */
    static List<ChatMessage> withoutLeading(List<ChatMessage> messages, List<ChatMessage> prefix) {
        if (prefix.isEmpty() || messages.size() <= prefix.size()) {
            return messages;
        }
        for (int i = 0; i < prefix.size(); i++) {
            if (!sameMessage(messages.get(i), prefix.get(i))) {
                return messages;
            }
        }
        return messages.subList(prefix.size(), messages.size());
    }

    static boolean sameMessage(ChatMessage a, ChatMessage b) {
        return a.getRole().equals(b.getRole()) && a.getContent().strip().equals(b.getContent().strip());
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
