package dev.prefstream.trainer.model.family;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.trainer.model.ModelConfig;
import dev.prefstream.trainer.model.ModelFormatException;
import dev.prefstream.trainer.model.RopeScaling;

/** Reading and writing config.json values the families share: typed keys with clear errors, RoPE keys. */
final class ConfigKeys {

    private ConfigKeys() {
    }

    static int requiredInt(JsonNode n, String... keys) {
        Integer v = optionalInt(n, keys);
        if (v == null) {
            throw new ModelFormatException("missing required key " + String.join(" / ", keys));
        }
        return v;
    }

    static Integer optionalInt(JsonNode n, String... keys) {
        for (String k : keys) {
            JsonNode v = n.get(k);
            if (v != null && !v.isNull()) {
                if (!v.canConvertToInt()) {
                    throw new ModelFormatException("key " + k + " must be an integer, got " + v);
                }
                return v.asInt();
            }
        }
        return null;
    }

    /** A token id key: the first of a list, null when absent, null or empty. */
    static Integer firstId(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isArray()) {
            return v.isEmpty() ? null : v.get(0).asInt();
        }
        return v.asInt();
    }

    /** A token id key with the family's default when the key is absent (null stays null). */
    static Integer idOr(JsonNode n, String key, int absent) {
        return n.has(key) ? firstId(n.get(key)) : Integer.valueOf(absent);
    }

    /** hidden / heads, refusing a hidden size that does not divide. */
    static int headSize(int hidden, int heads) {
        if (hidden % heads != 0) {
            throw new ModelFormatException("hidden_size (" + hidden + ") is not a multiple of num_attention_heads ("
                    + heads + ")");
        }
        return hidden / heads;
    }

    /** A softcap key: absent means transformers' default, null means none. */
    static Double softcapOf(JsonNode n, String key, double hfDefault) {
        JsonNode v = n.get(key);
        if (v == null) {
            return hfDefault;
        }
        if (v.isNull()) {
            return null;
        }
        if (!v.isNumber()) {
            throw new ModelFormatException("key " + key + " must be a number or null, got " + v);
        }
        return v.asDouble();
    }

    /** {@code key: value}, or {@code key: null} for none. */
    static void putNullable(ObjectNode o, String key, Number value) {
        if (value == null) {
            o.putNull(key);
        } else if (value instanceof Integer i) {
            o.put(key, i);
        } else {
            o.put(key, value.doubleValue());
        }
    }

    /**
     * rope_theta at the top (transformers 4) and in rope_parameters (5), and rope_scaling when the RoPE is scaled:
     * transformers 4 reads only rope_scaling and 5 gives it priority, so both say the same. Returns {@code o}.
     */
    static ObjectNode writeRope(ModelConfig c, ObjectNode o) {
        o.put("rope_theta", c.ropeTheta());
        ObjectNode rope = o.putObject("rope_parameters");
        c.ropeScaling().writeTo(rope);
        rope.put("rope_theta", c.ropeTheta());
        if (c.ropeScaling().equals(RopeScaling.NONE)) {
            if (o.has("rope_scaling")) {
                o.putNull("rope_scaling");
            }
        } else {
            c.ropeScaling().writeTo(o.putObject("rope_scaling"));
        }
        return o;
    }
}
