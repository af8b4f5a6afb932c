package dev.prefstream.ingest.canonical;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A minimal canonical JSON writer for hashing: objects with keys in the order given (callers pass them sorted),
 * no insignificant whitespace, strings escaped the way RFC 8785 (JCS) does (only {@code "}, {@code \} and control
 * characters, the short escapes where JSON has them). Other implementations that follow JCS compute the same ids.
 *
 * <p>It writes the UTF-8 bytes that get hashed directly: a string of printable ASCII (nearly every text, once
 * normalized) is checked and copied in one pass, with no StringBuilder, no intermediate String and no second
 * encoding pass (those were most of what hashing allocated per event). Other strings are escaped and encoded as before.
 */
final class CanonicalJson {

    private byte[] out;
    private int length;

    /** @param expectedBytes a size guess (the writer grows past it when needed) */
    CanonicalJson(int expectedBytes) {
        this.out = new byte[Math.max(16, expectedBytes)];
    }

    /** A structural character; only ASCII ones are passed ({@code [ ] { } , :}). */
    CanonicalJson raw(char c) {
        ensure(1);
        out[length++] = (byte) c;
        return this;
    }

    CanonicalJson key(String name) {
        string(name);
        return raw(':');
    }

    CanonicalJson string(String value) {
        raw('"');
        int n = value.length();
        ensure(n + 1);
        int start = length;
        for (int i = 0; i < n; i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') {
                length = start;
                escaped(value);
                return raw('"');
            }
            out[length++] = (byte) c;
        }
        return raw('"');
    }

    /** The slow path: escapes, non-ASCII characters. */
    private void escaped(String value) {
        StringBuilder s = new StringBuilder(value.length() + 16);
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> s.append("\\\"");
                case '\\' -> s.append("\\\\");
                case '\b' -> s.append("\\b");
                case '\f' -> s.append("\\f");
                case '\n' -> s.append("\\n");
                case '\r' -> s.append("\\r");
                case '\t' -> s.append("\\t");
                default -> {
                    if (c < 0x20) {
                        s.append(String.format("\\u%04x", (int) c));
                    } else {
                        s.append(c);
                    }
                }
            }
        }
        byte[] utf8 = s.toString().getBytes(StandardCharsets.UTF_8);
        ensure(utf8.length);
        System.arraycopy(utf8, 0, out, length, utf8.length);
        length += utf8.length;
    }

    private void ensure(int more) {
        if (length + more > out.length) {
            out = Arrays.copyOf(out, Math.max(length + more, 2 * out.length));
        }
    }

    /** Lowercase hex SHA-256 of the UTF-8 bytes written. */
    String sha256Hex() {
        return ContentHash.hex(ContentHash.sha256(out, 0, length));
    }

    /** The JSON text (the UTF-8 bytes decoded). */
    @Override
    public String toString() {
        return new String(out, 0, length, StandardCharsets.UTF_8);
    }
}
