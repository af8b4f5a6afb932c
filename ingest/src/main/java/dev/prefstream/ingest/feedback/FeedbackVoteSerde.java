package dev.prefstream.ingest.feedback;

import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.Thumb;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/**
 * Binary serde of the vote store (state and its changelog topic only, never a public topic, so it needs no
 * registry). A leading format byte leaves room to change the layout later.
 */
public final class FeedbackVoteSerde implements Serde<FeedbackVote> {

    private static final byte FORMAT_V1 = 1;

    @Override
    public Serializer<FeedbackVote> serializer() {
        return (topic, vote) -> vote == null ? null : write(vote);
    }

    @Override
    public Deserializer<FeedbackVote> deserializer() {
        return (topic, bytes) -> bytes == null ? null : read(bytes);
    }

    static byte[] write(FeedbackVote v) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + v.text().length() * 2);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT_V1);
            string(out, v.eventId());
            string(out, v.annotatorId());
            string(out, v.responseId());
            string(out, v.text());
            string(out, v.modelVersion());
            out.writeByte(v.thumb().ordinal());
            out.writeLong(v.occurredAtMillis());
            out.writeByte(v.source().ordinal());
            out.writeDouble(v.weight());
            string(out, v.tenant());
        } catch (IOException e) {
            throw new SerializationException("cannot encode feedback vote " + v.eventId(), e);
        }
        return bytes.toByteArray();
    }

    static FeedbackVote read(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            byte format = in.readByte();
            if (format != FORMAT_V1) {
                throw new SerializationException("unknown feedback vote format " + format);
            }
            return new FeedbackVote(string(in), string(in), string(in), string(in), string(in),
                    Thumb.values()[in.readByte()], in.readLong(), FeedbackSource.values()[in.readByte()], in.readDouble(), string(in));
        } catch (IOException | ArrayIndexOutOfBoundsException e) {
            throw new SerializationException("cannot decode feedback vote of " + bytes.length + " bytes", e);
        }
    }

    private static void string(DataOutputStream out, String s) throws IOException {
        if (s == null) {
            out.writeInt(-1);
            return;
        }
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
    }

    private static String string(DataInputStream in) throws IOException {
        int length = in.readInt();
        if (length < 0) {
            return null;
        }
        byte[] utf8 = new byte[length];
        in.readFully(utf8);
        return new String(utf8, StandardCharsets.UTF_8);
    }
}
