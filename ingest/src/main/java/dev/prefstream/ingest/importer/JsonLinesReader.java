package dev.prefstream.ingest.importer;

import java.io.IOException;
import java.io.Reader;

/**
 * JSON lines: records end at {@code \n}, {@code \r\n} or a lone {@code \r} (JSON text has no raw CR/LF inside
 * strings, so this never splits a record). A line longer than {@code maxChars} is read to its end but not kept: it
 * comes back as a too-long record, so one oversized line costs its length in time, not in memory.
 */
final class JsonLinesReader implements RecordReader {

    private final Reader in;
    private final int maxChars;
    private final char[] buffer = new char[64 * 1024];
    private int pos;
    private int limit;
    private boolean eof;
    private boolean skipLf;
    private long lineNumber;

    JsonLinesReader(Reader in, int maxChars) {
        this.in = in;
        this.maxChars = maxChars;
    }

    @Override
    public DatasetRecord next() throws IOException {
        StringBuilder line = new StringBuilder();
        long chars = 0;
        boolean any = false;
        while (true) {
            if (pos == limit && !fill()) {
                if (!any) {
                    return null;
                }
                break;
            }
            if (skipLf) {
                skipLf = false;
                if (buffer[pos] == '\n') {
                    pos++;
                    continue;
                }
            }
            any = true;
            int start = pos;
            while (pos < limit && buffer[pos] != '\n' && buffer[pos] != '\r') {
                pos++;
            }
            int n = pos - start;
            if (chars + n <= maxChars) {
                line.append(buffer, start, n);
            } else if (chars <= maxChars) {
                line = null; // over the limit: drop what was kept, count the rest
            }
            chars += n;
            if (pos < limit) {
                skipLf = buffer[pos] == '\r';
                pos++;
                break;
            }
        }
        lineNumber++;
        return new DatasetRecord(lineNumber, chars > maxChars ? null : line.toString(), chars);
    }

    private boolean fill() throws IOException {
        if (eof) {
            return false;
        }
        int n = in.read(buffer, 0, buffer.length);
        if (n < 0) {
            eof = true;
            return false;
        }
        pos = 0;
        limit = n;
        return true;
    }
}
