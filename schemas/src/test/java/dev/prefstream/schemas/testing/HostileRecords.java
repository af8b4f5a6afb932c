package dev.prefstream.schemas.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.prefstream.schemas.registry.SchemaRegistryClient;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;

/**
 * Hostile Confluent-wire-format records for the adversarial tests: a valid record followed by a field of a
 * recursive type nested {@code depth} deep, under a writer schema that anyone allowed to register could register
 * (the reader's own schema plus one extra field with a default, so it is even compatible).
 */
public final class HostileRecords {

    private static final ObjectMapper JSON = new ObjectMapper();

    private HostileRecords() {
    }

    /** {@code valid}'s schema plus a field {@code hostile: ["null", Nest]} with {@code Nest {n: ["null", Nest]}}. */
    public static Schema recursiveWriterSchema(Schema readerSchema) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(readerSchema.toString());
            ArrayNode fields = (ArrayNode) root.get("fields");
            ObjectNode nest = JSON.createObjectNode();
            nest.put("type", "record");
            nest.put("name", "HostileNest");
            nest.put("namespace", "hostile");
            ArrayNode nestFields = nest.putArray("fields");
            ObjectNode n = nestFields.addObject();
            n.put("name", "n");
            n.putArray("type").add("null").add("hostile.HostileNest");
            ObjectNode field = fields.addObject();
            field.put("name", "hostile_nest");
            field.putArray("type").add("null").add(nest);
            field.putNull("default");
            return new Schema.Parser().parse(root.toString());
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * {@code valid} encoded under {@link #recursiveWriterSchema} registered in {@code subject}, with its extra field
     * nested {@code depth} levels deep: one byte per level, so a 100 KB record nests 100,000 deep.
     */
    public static <T extends SpecificRecord> byte[] nested(SchemaRegistryClient registry, String subject, T valid, int depth) {
        Schema writer = recursiveWriterSchema(valid.getSchema());
        int id = registry.register(subject, writer);
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(0);
            out.write(ByteBuffer.allocate(4).putInt(id).array());
            BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
            new SpecificDatumWriter<T>(valid.getSchema(), org.apache.avro.specific.SpecificData.getForClass(valid.getClass())).write(valid, enc); // the reader's fields, then the extra one
            enc.flush();
            for (int i = 0; i < depth; i++) {
                out.write(2); // union branch 1: another HostileNest
            }
            out.write(0); // branch 0: null ends it
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A wire-format header with {@code id} and a few body bytes (an id nobody registered). */
    public static byte[] withSchemaId(int id) {
        return ByteBuffer.allocate(8).put((byte) 0).putInt(id).put(new byte[] {2, 4, 6}).array();
    }
}
