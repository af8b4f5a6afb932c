package dev.prefstream.schemas.serde;

import java.io.ByteArrayOutputStream;

/**
 * Confluent's wire format: byte 0 is the magic byte 0, bytes 1-4 the schema id as a big-endian int32, then the
 * Avro binary encoding of the record (no container-file header, no schema).
 */
public final class WireFormat {

    /** The only magic byte Confluent has defined. */
    public static final byte MAGIC_BYTE = 0;
    /** Magic byte plus schema id. */
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** Writes the magic byte and {@code schemaId} (big-endian). */
    public static void writeHeader(ByteArrayOutputStream out, int schemaId) {
        out.write(MAGIC_BYTE);
        out.write(schemaId >>> 24);
        out.write(schemaId >>> 16);
        out.write(schemaId >>> 8);
        out.write(schemaId);
    }

    /** The schema id of a framed record; throws {@link SerdeException} (NOT_WIRE_FORMAT) naming the topic and what it saw. */
    public static int schemaId(String topic, byte[] record) {
        if (record.length < HEADER_SIZE) {
            throw new SerdeException(SerdeException.Reason.NOT_WIRE_FORMAT, topic, null, null,
                    "topic " + topic + ": record of " + record.length + " bytes is not in Confluent wire format: shorter than the "
                            + HEADER_SIZE + "-byte header (magic byte 0x00 + 4-byte schema id)", null);
        }
        if (record[0] != MAGIC_BYTE) {
            throw new SerdeException(SerdeException.Reason.NOT_WIRE_FORMAT, topic, null, null,
                    String.format("topic %s: unknown magic byte 0x%02x (expected 0x00, Confluent wire format) in a record of %d bytes; "
                            + "was it written without the schema-registry serializer?", topic, record[0] & 0xff, record.length), null);
        }
        return ((record[1] & 0xff) << 24) | ((record[2] & 0xff) << 16) | ((record[3] & 0xff) << 8) | (record[4] & 0xff);
    }
}
