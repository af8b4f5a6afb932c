package dev.prefstream.trainer.stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The per-pair training log file of a checkpoint ({@code trained-pairs.jsonl}): one JSON object per line with
 * {@code pair_id, topic, partition, offset, step}, listing the pairs trained since the parent checkpoint. It is
 * written into the checkpoint directory before the atomic rename, so it exists exactly when the weights do.
 */
public final class TrainingLog {

    private static final ObjectMapper JSON = new ObjectMapper();

    private TrainingLog() {
    }

    /** Writes the entries as JSON lines. */
    public static void write(Path file, List<TrainingLogEntry> entries) throws IOException {
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            for (TrainingLogEntry e : entries) {
                ObjectNode n = JSON.createObjectNode();
                n.put("pair_id", e.pairId()).put("topic", e.topic()).put("partition", e.partition()).put("offset", e.offset()).put("step", e.step());
                w.write(JSON.writeValueAsString(n));
                w.write('\n');
            }
        }
    }

    /** Reads a log written by {@link #write}; a malformed line is an error naming the file and line. */
    public static List<TrainingLogEntry> read(Path file) throws IOException {
        List<TrainingLogEntry> out = new ArrayList<>();
        int lineNo = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            lineNo++;
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode n = JSON.readTree(line);
                out.add(new TrainingLogEntry(n.get("pair_id").asText(), n.get("topic").asText(), n.get("partition").asInt(),
                        n.get("offset").asLong(), n.get("step").asLong()));
            } catch (RuntimeException | IOException e) {
                throw new IOException("malformed training log line " + lineNo + " of " + file + ": " + line, e);
            }
        }
        return out;
    }
}
