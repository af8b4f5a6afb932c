package dev.prefstream.trainer.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a {@code .safetensors} file without any native dependency: 8-byte little-endian header length, a JSON
 * header ({@code name -> {dtype, shape, data_offsets}} plus optional {@code __metadata__}), then raw little-endian
 * data. F32, F16 and BF16 load as float32 (half types are widened in Java: DJL cannot hold bf16), I64 as int64.
 * Every error names the file.
 */
public final class SafetensorsReader implements AutoCloseable {

    /** One tensor's header entry. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        /** Shape as DJL sees it. */
        public Shape djlShape() {
            return new Shape(shape);
        }
    }

    /** Duplicate tensor names are an error, not "the last one wins" (the reference refuses them too). */
    private static final ObjectMapper JSON = new ObjectMapper().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    /** The reference implementation's limit (safetensors' MAX_HEADER_SIZE): a larger header is refused unread. */
    static final long MAX_HEADER = 100_000_000L;

    private final Path file;
    private final FileChannel channel;
    private final long dataStart;
    private final Map<String, Entry> entries;
    private final Map<String, String> metadata;

    private SafetensorsReader(Path file, FileChannel channel, long dataStart, Map<String, Entry> entries,
                              Map<String, String> metadata) {
        this.file = file;
        this.channel = channel;
        this.dataStart = dataStart;
        this.entries = entries;
        this.metadata = metadata;
    }

    /** Opens and validates the header. */
    public static SafetensorsReader open(Path file) {
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
        } catch (IOException e) {
            throw new ModelFormatException(file + ": cannot open (" + e + ")", e);
        }
        try {
            long size = ch.size();
            if (size < 8) {
                throw new ModelFormatException(file + ": too short for a safetensors file (" + size + " bytes)");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long headerLen = lenBuf.getLong(0);
            if (headerLen <= 0 || headerLen > MAX_HEADER || 8 + headerLen > size) {
                throw new ModelFormatException(file + ": invalid safetensors header length " + headerLen);
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8);
            if (header.get(0) != '{') {
                throw new ModelFormatException(file + ": safetensors header does not start with '{'");
            }
            JsonNode root = JSON.readTree(header.array());
            if (root == null || !root.isObject()) {
                throw new ModelFormatException(file + ": safetensors header is not a JSON object");
            }
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            Iterator<Map.Entry<String, JsonNode>> it = root.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> f = it.next();
                if (f.getKey().equals("__metadata__")) {
                    if (!f.getValue().isObject()) {
                        throw new ModelFormatException(file + ": safetensors __metadata__ is not an object of strings");
                    }
                    for (Iterator<Map.Entry<String, JsonNode>> m = f.getValue().fields(); m.hasNext(); ) {
                        Map.Entry<String, JsonNode> kv = m.next();
                        if (!kv.getValue().isTextual()) {
                            throw new ModelFormatException(file + ": safetensors __metadata__ value of " + kv.getKey() + " is not a string");
                        }
                        metadata.put(kv.getKey(), kv.getValue().asText());
                    }
                    continue;
                }
                entries.put(f.getKey(), entry(file, f.getKey(), f.getValue(), dataLen));
            }
            requireContiguous(file, entries.values(), dataLen);
            return new SafetensorsReader(file, ch, dataStart, Collections.unmodifiableMap(entries),
                    Collections.unmodifiableMap(metadata));
        } catch (IOException e) {
            closeQuietly(ch);
            throw new ModelFormatException(file + ": cannot read safetensors header (" + e.getMessage() + ")", e);
        } catch (RuntimeException e) {
            closeQuietly(ch);
            throw e;
        }
    }

    private static Entry entry(Path file, String name, JsonNode n, long dataLen) {
        String dtype = n.path("dtype").asText("");
        JsonNode shapeNode = n.get("shape");
        JsonNode offsets = n.get("data_offsets");
        if (shapeNode == null || !shapeNode.isArray() || offsets == null || !offsets.isArray() || offsets.size() != 2) {
            throw new ModelFormatException(file + ": tensor " + name + " has a malformed header entry " + n);
        }
        long[] shape = new long[shapeNode.size()];
        int width = dtypeWidth(dtype);
        if (width < 0) {
            throw new ModelFormatException(file + ": tensor " + name + " has unsupported dtype " + dtype
                    + " (F32, F16, BF16, I64 and the other safetensors dtypes)");
        }
        long count = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
                throw new ModelFormatException(file + ": tensor " + name + " has a shape entry that is not a non-negative integer: " + shapeNode);
            }
            shape[i] = d.asLong();
            try {
                count = Math.multiplyExact(count, shape[i]);
            } catch (ArithmeticException overflow) {
                throw new ModelFormatException(file + ": tensor " + name + " has a shape " + shapeNode + " whose element count overflows");
            }
        }
        long bytes;
        try {
            bytes = Math.multiplyExact(count, (long) width);
        } catch (ArithmeticException overflow) {
            throw new ModelFormatException(file + ": tensor " + name + " has a shape " + shapeNode + " x dtype " + dtype + " size that overflows");
        }
        for (JsonNode o : offsets) {
            if (!o.isIntegralNumber() || !o.canConvertToLong() || o.asLong() < 0) {
                throw new ModelFormatException(file + ": tensor " + name + " has data_offsets that are not non-negative integers: " + offsets);
            }
        }
        long begin = offsets.get(0).asLong();
        long end = offsets.get(1).asLong();
        if (begin < 0 || end < begin || end > dataLen || end - begin != bytes) {
            throw new ModelFormatException(file + ": tensor " + name + " has data_offsets [" + begin + ", " + end
                    + "] inconsistent with dtype " + dtype + " shape " + shapeNode + " or file size");
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /**
     * As the reference implementation validates: sorted by offset, every tensor starts where the previous one ended
     * (no overlap that would alias two tensors, no hole that would hide bytes), and the last one ends exactly at the
     * end of the file.
     */
    private static void requireContiguous(Path file, java.util.Collection<Entry> entries, long dataLen) {
        java.util.List<Entry> sorted = new java.util.ArrayList<>(entries);
        sorted.sort(java.util.Comparator.comparingLong(Entry::begin).thenComparingLong(Entry::end));
        long expected = 0;
        String previous = null;
        for (Entry e : sorted) {
            if (e.begin() != expected) {
                throw new ModelFormatException(file + ": tensor " + e.name() + " starts at data offset " + e.begin() + " but "
                        + (previous == null ? "the data starts at 0" : "tensor " + previous + " ends at " + expected)
                        + (e.begin() < expected ? " (overlap)" : " (hole)"));
            }
            expected = e.end();
            previous = e.name();
        }
        if (expected != dataLen) {
            throw new ModelFormatException(file + ": the tensors cover " + expected + " bytes of data but the file has " + dataLen
                    + " after the header (" + (expected < dataLen ? "trailing bytes" : "truncated") + ")");
        }
    }

    private static int dtypeWidth(String dtype) {
        return switch (dtype) {
            case "F32" -> 4;
            case "F16", "BF16" -> 2;
            case "I64" -> 8;
            // recognised so that a file holding such tensors opens (old GPT-NeoX checkpoints store their causal mask
            // buffer as BOOL); reading one as weights is still refused
            case "BOOL", "U8", "I8", "F8_E4M3", "F8_E5M2" -> 1;
            case "I16", "U16" -> 2;
            case "I32", "U32" -> 4;
            case "F64", "U64" -> 8;
            default -> -1;
        };
    }

    /** The file this reads. */
    public Path file() {
        return file;
    }

    /** Header entries by name, in header order. */
    public Map<String, Entry> entries() {
        return entries;
    }

    /** The {@code __metadata__} map (empty if absent). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Raw little-endian bytes of one tensor. */
    private ByteBuffer bytes(String name) {
        Entry e = entry(name);
        long len = e.end() - e.begin();
        if (len > Integer.MAX_VALUE) {
            throw new ModelFormatException(file + ": tensor " + name + " is larger than 2 GiB");
        }
        ByteBuffer buf = ByteBuffer.allocate((int) len).order(ByteOrder.LITTLE_ENDIAN);
        try {
            readFully(channel, buf, dataStart + e.begin());
        } catch (IOException ex) {
            throw new ModelFormatException(file + ": cannot read tensor " + name + " (" + ex.getMessage() + ")", ex);
        }
        buf.flip();
        return buf;
    }

    /** Header entry or a clear error. */
    public Entry entry(String name) {
        Entry e = entries.get(name);
        if (e == null) {
            throw new ModelFormatException(file + ": missing tensor " + name);
        }
        return e;
    }

    /** A floating tensor widened to float32 values. */
    public float[] readFloats(String name) {
        Entry e = entry(name);
        ByteBuffer buf = bytes(name);
        int n = (int) ((e.end() - e.begin()) / dtypeWidth(e.dtype()));
        float[] out = new float[n];
        switch (e.dtype()) {
            case "F32" -> buf.asFloatBuffer().get(out);
            case "BF16" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = Float.intBitsToFloat((buf.getShort(2 * i) & 0xffff) << 16);
                }
            }
            case "F16" -> {
                for (int i = 0; i < n; i++) {
                    out[i] = HalfFloat.toFloat(buf.getShort(2 * i));
                }
            }
            default -> throw new ModelFormatException(file + ": tensor " + name + " is " + e.dtype() + ", not floating");
        }
        return out;
    }

    /** An I64 tensor. */
    public long[] readLongs(String name) {
        Entry e = entry(name);
        if (!e.dtype().equals("I64")) {
            throw new ModelFormatException(file + ": tensor " + name + " is " + e.dtype() + ", expected I64");
        }
        long[] out = new long[(int) ((e.end() - e.begin()) / 8)];
        bytes(name).asLongBuffer().get(out);
        return out;
    }

    /** The tensor as an NDArray in {@code manager} (float32 for floating types, int64 for I64). */
    public NDArray read(String name, NDManager manager) {
        Entry e = entry(name);
        if (e.dtype().equals("I64")) {
            return manager.create(readLongs(name), e.djlShape());
        }
        return manager.create(readFloats(name), e.djlShape());
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += n;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException ignored) {
            // already failing; the original error is more useful
        }
    }

    @Override
    public void close() {
        closeQuietly(channel);
    }
}
