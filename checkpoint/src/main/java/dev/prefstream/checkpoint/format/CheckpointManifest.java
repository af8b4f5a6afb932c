package dev.prefstream.checkpoint.format;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a checkpoint is, written as {@code manifest.json} inside its directory. The SHA-256 of that file's bytes
 * (the "manifest hash") identifies the checkpoint on the model-registry topic; since the manifest lists the SHA-256
 * of every other file, verifying the manifest hash and then each file proves the whole directory.
 *
 * @param formatVersion  layout version of this manifest (currently 1)
 * @param modelName      logical model name (the model-registry key)
 * @param version        checkpoint version, equal to its directory name ({@code step-<N>})
 * @param parentVersion  the checkpoint this one continued from, null for the first one of a lineage
 * @param step           optimizer steps taken since the initial model
 * @param iteration      iterative-DPO iteration the step belongs to
 * @param referenceVersion version of the reference policy the last step used
 * @param pairsTrained   pairs trained since the initial model (cumulative over the lineage)
 * @param createdAt      when the checkpoint was written
 * @param metrics        training metrics of the last step(s) (TRL names: loss, rewards/margins, ...)
 * @param offsets        next offset of every input partition: the exactly-once resume point
 * @param properties     free-form string facts (base model, held-out split settings, ...)
 * @param files          relative path ('/'-separated) -> SHA-256 hex of every file except the manifest itself
 *                       (maps are stored sorted and unmodifiable)
 */
public record CheckpointManifest(
        int formatVersion,
        String modelName,
        String version,
        String parentVersion,
        long step,
        long iteration,
        String referenceVersion,
        long pairsTrained,
        Instant createdAt,
        Map<String, Double> metrics,
        List<PartitionOffset> offsets,
        Map<String, String> properties,
        Map<String, String> files) {

    /** The manifest layout this code writes. */
    public static final int FORMAT_VERSION = 1;

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    public CheckpointManifest {
        Objects.requireNonNull(modelName, "model_name");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(createdAt, "created_at");
        if (modelName.isBlank()) {
            throw new IllegalArgumentException("model_name must not be blank");
        }
        if (step < 0 || iteration < 0 || pairsTrained < 0) {
            throw new IllegalArgumentException("step, iteration and pairs_trained must be >= 0 (" + step + ", " + iteration + ", " + pairsTrained + ")");
        }
        metrics = Collections.unmodifiableSortedMap(new TreeMap<>(metrics == null ? Map.of() : metrics));
        List<PartitionOffset> sorted = new ArrayList<>(offsets == null ? List.of() : offsets);
        Collections.sort(sorted);
        offsets = List.copyOf(sorted);
        properties = Collections.unmodifiableSortedMap(new TreeMap<>(properties == null ? Map.of() : properties));
        files = Collections.unmodifiableSortedMap(new TreeMap<>(files == null ? Map.of() : files));
    }

    /** The same manifest listing these file hashes (the writer fills them in after the content is written). */
    public CheckpointManifest withFiles(Map<String, String> fileHashes) {
        return new CheckpointManifest(formatVersion, modelName, version, parentVersion, step, iteration, referenceVersion,
                pairsTrained, createdAt, metrics, offsets, properties, new TreeMap<>(fileHashes));
    }

    /** Next offsets of one topic's partitions as partition -> offset. */
    public SortedMap<Integer, Long> offsetsOf(String topic) {
        SortedMap<Integer, Long> out = new TreeMap<>();
        for (PartitionOffset o : offsets) {
            if (o.topic().equals(topic)) {
                out.put(o.partition(), o.nextOffset());
            }
        }
        return out;
    }

    /** Canonical JSON bytes (keys in a fixed order, maps sorted), so equal manifests hash equally. */
    public byte[] toJsonBytes() {
        ObjectNode root = JSON.createObjectNode();
        root.put("format_version", formatVersion);
        root.put("model_name", modelName);
        root.put("version", version);
        if (parentVersion == null) {
            root.putNull("parent_version");
        } else {
            root.put("parent_version", parentVersion);
        }
        root.put("step", step);
        root.put("iteration", iteration);
        if (referenceVersion == null) {
            root.putNull("reference_version");
        } else {
            root.put("reference_version", referenceVersion);
        }
        root.put("pairs_trained", pairsTrained);
        root.put("created_at", createdAt.toString());
        ObjectNode m = root.putObject("metrics");
        metrics.forEach((k, v) -> {
            if (v == null || v.isNaN() || v.isInfinite()) {
                m.putNull(k); // JSON has no NaN; a null metric means "not finite"
            } else {
                m.put(k, v);
            }
        });
        ArrayNode offs = root.putArray("offsets");
        for (PartitionOffset o : offsets) {
            offs.addObject().put("topic", o.topic()).put("partition", o.partition()).put("next_offset", o.nextOffset());
        }
        ObjectNode p = root.putObject("properties");
        properties.forEach(p::put);
        ObjectNode f = root.putObject("files");
        files.forEach(f::put);
        try {
            return (JSON.writeValueAsString(root) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize manifest of " + version, e);
        }
    }

    /** Parses manifest.json bytes; a missing or malformed field is a {@link CheckpointException} naming it. */
    public static CheckpointManifest fromJsonBytes(byte[] bytes, String origin) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (Exception e) {
            throw new CheckpointException("unreadable manifest " + origin + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException("manifest " + origin + " is not a JSON object");
        }
        try {
            int format = required(root, "format_version", origin).asInt();
            if (format != FORMAT_VERSION) {
                throw new CheckpointException("manifest " + origin + " has format_version " + format + ", this build reads " + FORMAT_VERSION);
            }
            SortedMap<String, Double> metrics = new TreeMap<>();
            JsonNode mNode = root.path("metrics");
            for (Iterator<Map.Entry<String, JsonNode>> it = mNode.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                metrics.put(e.getKey(), e.getValue().isNull() ? Double.NaN : e.getValue().asDouble());
            }
            List<PartitionOffset> offsets = new ArrayList<>();
            for (JsonNode o : root.path("offsets")) {
                offsets.add(new PartitionOffset(required(o, "topic", origin).asText(), required(o, "partition", origin).asInt(),
                        required(o, "next_offset", origin).asLong()));
            }
            SortedMap<String, String> properties = textMap(root.path("properties"));
            SortedMap<String, String> files = textMap(required(root, "files", origin));
            return new CheckpointManifest(format,
                    required(root, "model_name", origin).asText(),
                    required(root, "version", origin).asText(),
                    textOrNull(root.get("parent_version")),
                    required(root, "step", origin).asLong(),
                    root.path("iteration").asLong(0),
                    textOrNull(root.get("reference_version")),
                    root.path("pairs_trained").asLong(0),
                    Instant.parse(required(root, "created_at", origin).asText()),
                    metrics, offsets, properties, files);
        } catch (CheckpointException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new CheckpointException("invalid manifest " + origin + ": " + e.getMessage(), e);
        }
    }

    private static JsonNode required(JsonNode node, String field, String origin) {
        JsonNode v = node.get(field);
        if (v == null || v.isNull()) {
            throw new CheckpointException("manifest " + origin + " lacks field '" + field + "'");
        }
        return v;
    }

    private static String textOrNull(JsonNode n) {
        return n == null || n.isNull() ? null : n.asText();
    }

    private static SortedMap<String, String> textMap(JsonNode node) {
        SortedMap<String, String> out = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.put(e.getKey(), e.getValue().asText());
        }
        return out;
    }
}
