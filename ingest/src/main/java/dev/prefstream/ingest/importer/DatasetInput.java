package dev.prefstream.ingest.importer;

import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/**
 * Opens a dataset file whatever its wrapping: gzip (told by its magic bytes, not its name), a UTF-8 byte order
 * mark, JSON lines or one JSON array (told by the first non-blank char being {@code [}). Other containers that
 * public datasets come in (Parquet, zstd, bzip2, xz) are refused with an IOException that says what to do.
 * Text must be UTF-8: each malformed byte sequence decodes to {@link #MALFORMED}, so that only the record holding it
 * is rejected ({@link #hasMalformedBytes}) instead of one bad byte ending a long import part way.
 * {@link #bytesRead()} counts the file's own bytes (compressed, for gzip) for the progress bar.
 */
final class DatasetInput implements AutoCloseable {

    /**
     * What a malformed byte sequence decodes to: a lone low surrogate, which decoding valid UTF-8 never yields (it
     * only appears right after a high surrogate, as the second half of a supplementary character).
     */
    static final char MALFORMED = '\uDFFF';

    /** How far past leading blank space the first char is looked for (then it is JSON lines). */
    private static final int SNIFF_CHARS = 1 << 20;

    private final CountingInputStream counted;
    private final BufferedReader reader;
    private final RecordReader records;
    private final String layout;

    private DatasetInput(CountingInputStream counted, BufferedReader reader, RecordReader records, String layout) {
        this.counted = counted;
        this.reader = reader;
        this.records = records;
        this.layout = layout;
    }

    static DatasetInput open(Path file, ObjectMapper json, int maxRecordChars) throws IOException {
        CountingInputStream counted = new CountingInputStream(Files.newInputStream(file));
        try {
            BufferedInputStream raw = new BufferedInputStream(counted, 64 * 1024);
            byte[] magic = peek(raw, 6);
            boolean gzip = magic.length >= 2 && (magic[0] & 0xff) == 0x1f && (magic[1] & 0xff) == 0x8b;
            refuseOtherContainers(file, magic);
            InputStream bytes = gzip ? new BufferedInputStream(new GZIPInputStream(raw, 64 * 1024), 64 * 1024) : raw;
            BufferedReader reader = new BufferedReader(new InputStreamReader(bytes, StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPLACE).onUnmappableCharacter(CodingErrorAction.REPLACE)
                    .replaceWith(String.valueOf(MALFORMED))), 64 * 1024);
            reader.mark(1);
            if (reader.read() != '\uFEFF') {
                reader.reset();
            }
            boolean array = firstNonBlankChar(reader) == '[';
            RecordReader records = array ? new JsonArrayReader(reader, json, maxRecordChars) : new JsonLinesReader(reader, maxRecordChars);
            return new DatasetInput(counted, reader, records, (array ? "JSON array" : "JSON lines") + (gzip ? ", gzip" : ""));
        } catch (IOException | RuntimeException e) {
            counted.close();
            throw e;
        }
    }

    /** True when {@code text} holds a {@link #MALFORMED} marker, i.e. its bytes were not valid UTF-8. */
    static boolean hasMalformedBytes(String text) {
        for (int i = text.indexOf(MALFORMED); i >= 0; i = text.indexOf(MALFORMED, i + 1)) {
            if (i == 0 || !Character.isHighSurrogate(text.charAt(i - 1))) {
                return true;
            }
        }
        return false;
    }

    /** The next record, or null at the end. */
    DatasetRecord next() throws IOException {
        return records.next();
    }

    /** Bytes of the file read so far. */
    long bytesRead() {
        return counted.count;
    }

    /** "JSON lines" or "JSON array", plus ", gzip" when it was compressed. */
    String layout() {
        return layout;
    }

    @Override
    public void close() throws IOException {
        reader.close();
    }

    private static byte[] peek(BufferedInputStream in, int n) throws IOException {
        in.mark(n);
        byte[] head = in.readNBytes(n);
        in.reset();
        return head;
    }

    private static void refuseOtherContainers(Path file, byte[] m) throws IOException {
        String what = null;
        if (startsWith(m, 'P', 'A', 'R', '1')) {
            what = "a Parquet file; export it as JSON lines first (e.g. datasets' Dataset.to_json(\"FILE.jsonl\"))";
        } else if (startsWith(m, 0x28, 0xb5, 0x2f, 0xfd)) {
            what = "zstd-compressed; decompress it first (zstd -d), or recompress with gzip";
        } else if (startsWith(m, 'B', 'Z', 'h')) {
            what = "bzip2-compressed; decompress it first (bunzip2), or recompress with gzip";
        } else if (startsWith(m, 0xfd, '7', 'z', 'X', 'Z', 0)) {
            what = "xz-compressed; decompress it first (xz -d), or recompress with gzip";
        } else if (startsWith(m, 'P', 'K', 3, 4)) {
            what = "a zip archive; extract the JSON lines file first";
        }
        if (what != null) {
            throw new IOException(file.getFileName() + " is " + what);
        }
    }

    private static boolean startsWith(byte[] bytes, int... prefix) {
        if (bytes.length < prefix.length) {
            return false;
        }
        for (int i = 0; i < prefix.length; i++) {
            if ((bytes[i] & 0xff) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The first char that is not JSON whitespace, -1 if none soon; the reader is left where it was. */
    private static int firstNonBlankChar(BufferedReader reader) throws IOException {
        reader.mark(SNIFF_CHARS);
        try {
            for (int i = 0; i < SNIFF_CHARS - 1; i++) {
                int c = reader.read();
                if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                    return c;
                }
            }
            return -1;
        } finally {
            reader.reset();
        }
    }

    /** Counts the bytes read through it. */
    private static final class CountingInputStream extends FilterInputStream {
        private long count;

        CountingInputStream(InputStream in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count++;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                count += n;
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long skipped = super.skip(n);
            count += skipped;
            return skipped;
        }
    }
}
