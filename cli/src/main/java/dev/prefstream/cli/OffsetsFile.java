package dev.prefstream.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * {@code replay --from-offsets FILE}: a JSON file with either a checkpoint manifest's {@code offsets} array
 * ({@code [{"topic":..., "partition":0, "next_offset":123}, ...]}, so a manifest.json can be passed as is) or an
 * object mapping partition numbers to offsets ({@code {"0": 123, "1": 98}}) of the pairs topic.
 */
final class OffsetsFile {

    private OffsetsFile() {
    }

    static Map<TopicPartition, Long> read(Path file, String topic) {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("--from-offsets " + file + ": " + e.getMessage(), e);
        }
        Map<TopicPartition, Long> out = new HashMap<>();
        if (root != null && root.has("offsets") && root.get("offsets").isArray()) {
            for (JsonNode o : root.get("offsets")) {
                String t = o.path("topic").asText(topic);
                if (!t.equals(topic)) {
                    continue;
                }
                JsonNode off = o.has("next_offset") ? o.get("next_offset") : o.get("offset");
                if (off == null || !o.has("partition")) {
                    throw new IllegalArgumentException("--from-offsets " + file + ": each offsets entry needs partition and next_offset");
                }
                out.put(new TopicPartition(topic, o.get("partition").asInt()), off.asLong());
            }
        } else if (root != null && root.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                try {
                    out.put(new TopicPartition(topic, Integer.parseInt(e.getKey())), e.getValue().asLong());
                } catch (NumberFormatException ex) {
                    throw new IllegalArgumentException("--from-offsets " + file + ": key '" + e.getKey() + "' is not a partition number");
                }
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("--from-offsets " + file + ": no offsets of topic " + topic + " found");
        }
        return out;
    }
}
