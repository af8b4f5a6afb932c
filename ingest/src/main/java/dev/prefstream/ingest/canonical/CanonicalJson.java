package dev.prefstream.ingest.canonical;

/**
 * A minimal canonical JSON writer for hashing: objects with keys in the order given (callers pass them sorted),
 * no insignificant whitespace, strings escaped the way RFC 8785 (JCS) does (only {@code "}, {@code \} and control
 * characters, the short escapes where JSON has them). Other implementations that follow JCS compute the same ids.
 */
final class CanonicalJson {

    private final StringBuilder out = new StringBuilder(256);

    CanonicalJson raw(char c) {
        out.append(c);
        return this;
    }

    CanonicalJson key(String name) {
        string(name);
        out.append(':');
        return this;
    }

    CanonicalJson string(String value) {
        out.append('"');
        if (needsNoEscape(value)) {
            out.append(value);
            return raw('"');
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
        return this;
    }

    private static boolean needsNoEscape(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == '"' || c == '\\') {
                return false;
            }
        }
        return true;
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
