package dev.prefstream.ingest.dedup;

import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Binary serde of the dedup store (state and changelog only). A leading format byte allows later layouts. */
public final class PairObservationsSerde implements Serde<PairObservations> {

    private static final byte FORMAT_V1 = 1;

    @Override
    public Serializer<PairObservations> serializer() {
        return (topic, value) -> value == null ? null : write(value);
    }

    @Override
    public Deserializer<PairObservations> deserializer() {
        return (topic, bytes) -> bytes == null ? null : read(bytes);
    }

    static byte[] write(PairObservations value) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 + 40 * value.ids().size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT_V1);
            out.writeInt(value.observations());
            out.writeShort(value.ids().size());
            for (String id : value.ids()) {
                out.writeUTF(id.length() > 4000 ? id.substring(0, 4000) : id);
            }
        } catch (IOException e) {
            throw new SerializationException("cannot encode pair observations", e);
        }
        return bytes.toByteArray();
    }

    static PairObservations read(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte format = in.readByte();
            if (format != FORMAT_V1) {
                throw new SerializationException("unknown pair observations format " + format);
            }
            int observations = in.readInt();
            int n = in.readShort();
            List<String> ids = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ids.add(in.readUTF());
            }
            return new PairObservations(observations, ids);
        } catch (IOException e) {
            throw new SerializationException("cannot decode pair observations of " + bytes.length + " bytes", e);
        }
    }
}
