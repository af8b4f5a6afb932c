package dev.prefstream.trainer.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.prefstream.trainer.model.ModelFormatException;

import java.util.HashMap;
import java.util.Map;

/** Token strings and ids read from a tokenizer.json (model vocabulary plus added tokens). */
final class Vocabulary {

    private final Map<String, Integer> ids;
    private final Map<Integer, String> tokens;
    private final String firstSpecial;
    private final int size;

    private Vocabulary(Map<String, Integer> ids, Map<Integer, String> tokens, String firstSpecial) {
        this.ids = ids;
        this.tokens = tokens;
        this.firstSpecial = firstSpecial;
        this.size = tokens.keySet().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
    }

    static Vocabulary of(JsonNode root, String source) {
        Map<String, Integer> ids = new HashMap<>();
        Map<Integer, String> tokens = new HashMap<>();
        JsonNode vocab = root.path("model").path("vocab");
        if (vocab.isObject()) {
            vocab.fields().forEachRemaining(e -> {
                ids.put(e.getKey(), e.getValue().asInt());
                tokens.put(e.getValue().asInt(), e.getKey());
            });
        } else if (vocab.isArray()) {
            // Unigram: [[piece, score], ...], id = index
            for (int i = 0; i < vocab.size(); i++) {
                String piece = vocab.get(i).get(0).asText();
                ids.put(piece, i);
                tokens.put(i, piece);
            }
        } else {
            throw new ModelFormatException(source + ": no model.vocab");
        }
        String firstSpecial = null;
        for (JsonNode added : root.path("added_tokens")) {
            String content = added.path("content").asText();
            int id = added.path("id").asInt();
            ids.put(content, id);
            tokens.put(id, content);
            if (firstSpecial == null && added.path("special").asBoolean(false)) {
                firstSpecial = content;
            }
        }
        return new Vocabulary(ids, tokens, firstSpecial);
    }

    Integer idOf(String token) {
        return ids.get(token);
    }

    String tokenOf(int id) {
        return tokens.get(id);
    }

    String firstSpecial() {
        return firstSpecial;
    }

    int size() {
        return size;
    }
}
