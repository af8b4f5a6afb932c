package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;

/**
 * Writes a {@code .safetensors} file: floating tensors as F32 (or F16/BF16, narrowed in Java with round to nearest
 * even, see {@link StorageDtype}), integer tensors as I64, header padded with spaces to
 * a multiple of 8 bytes (as the reference library does), {@code __metadata__ {"format": "pt"}} so that
 * transformers accepts it. Written to a temporary sibling and moved into place, so a reader never sees half a file.
 */
public final class SafetensorsWriter {

    private static final ObjectMapper JSON = new ObjectMapper();

    private SafetensorsWriter() {
    }

    /** Writes {@code tensors} in map order with {@code {"format": "pt"}} metadata. */
    public static void write(Path file, Map<String, NDArray> tensors) {
        write(file, tensors, Map.of("format", "pt"));
    }

    /** Writes {@code tensors} in map order with the given metadata. */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata) {
        write(file, tensors, metadata, StorageDtype.F32);
    }

    /** Writes {@code tensors} in map order with the given metadata, floating tensors in {@code floats}. */
    public static void write(Path file, Map<String, NDArray> tensors, Map<String, String> metadata, StorageDtype floats) {
        ObjectNode header = JSON.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        metadata.forEach(meta::put);
        long offset = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            NDArray a = e.getValue();
            boolean integer = isInteger(a.getDataType());
            long bytes = a.size() * (integer ? 8L : floats.bytes());
            ObjectNode entry = header.putObject(e.getKey());
            entry.put("dtype", integer ? "I64" : floats.safetensorsName());
            ArrayNode shape = entry.putArray("shape");
            for (long d : a.getShape().getShape()) {
                shape.add(d);
            }
            entry.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json;
        try {
            json = JSON.writeValueAsBytes(header);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE)) {
                writeFully(ch, head);
                for (NDArray a : tensors.values()) {
                    writeFully(ch, bytesOf(a, floats));
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    private static boolean isInteger(DataType t) {
        return t == DataType.INT64 || t == DataType.INT32 || t == DataType.INT8 || t == DataType.UINT8;
    }

    /** Little-endian bytes, copying from the device once; a converted copy is closed right away. */
    private static ByteBuffer bytesOf(NDArray a, StorageDtype floats) {
        if (isInteger(a.getDataType())) {
            long[] v;
            if (a.getDataType() == DataType.INT64) {
                v = a.toLongArray();
            } else {
                try (NDArray c = a.toType(DataType.INT64, false)) {
                    v = c.toLongArray();
                }
            }
            ByteBuffer b = ByteBuffer.allocate(v.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            b.asLongBuffer().put(v);
            return b;
        }
        float[] v;
        if (a.getDataType() == DataType.FLOAT32) {
            v = a.toFloatArray();
        } else {
            try (NDArray c = a.toType(DataType.FLOAT32, false)) {
                v = c.toFloatArray();
            }
        }
        ByteBuffer b = ByteBuffer.allocate(v.length * floats.bytes()).order(ByteOrder.LITTLE_ENDIAN);
        switch (floats) {
            case F32 -> b.asFloatBuffer().put(v);
            case BF16 -> {
                for (int i = 0; i < v.length; i++) {
                    b.putShort(2 * i, BFloat16.fromFloat(v[i]));
                }
            }
            case F16 -> {
                for (int i = 0; i < v.length; i++) {
                    b.putShort(2 * i, HalfFloat.fromFloat(v[i]));
                }
            }
        }
        return b;
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }
}
