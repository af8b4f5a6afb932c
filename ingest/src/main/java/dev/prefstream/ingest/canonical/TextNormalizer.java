package dev.prefstream.ingest.canonical;

import java.text.Normalizer;

/**
 * The one normalization used for identity: Unicode NFC, every run of whitespace (spaces, tabs, newlines,
 * Unicode spaces) collapsed to a single space, leading and trailing whitespace removed.
 *
 * <p>It only decides when two texts are "the same" (prompt ids, pair ids, degenerate pairs); the texts written to
 * {@code preference-pairs} are the originals. Collapsing newlines makes two answers that differ only in layout
 * the same answer, which is what dedup wants, at the price of treating code that differs only in indentation as equal.
 */
public final class TextNormalizer {

    private TextNormalizer() {
    }

    public static String normalize(String text) {
        if (text == null) {
            return "";
        }
        if (isAlreadyNormalAscii(text)) {
            return text;
        }
        String nfc = Normalizer.isNormalized(text, Normalizer.Form.NFC) ? text : Normalizer.normalize(text, Normalizer.Form.NFC);
        StringBuilder out = new StringBuilder(nfc.length());
        boolean pendingSpace = false;
        for (int i = 0; i < nfc.length(); ) {
            int cp = nfc.codePointAt(i);
            i += Character.charCount(cp);
            if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
                pendingSpace = out.length() > 0;
            } else {
                if (pendingSpace) {
                    out.append(' ');
                    pendingSpace = false;
                }
                out.appendCodePoint(cp);
            }
        }
        return out.toString();
    }

    /**
     * The fast path (most texts): plain ASCII with single spaces between words and none at the ends is its own
     * normal form, and NFC leaves ASCII unchanged. One scan, no allocation.
     */
    private static boolean isAlreadyNormalAscii(String text) {
        int n = text.length();
        if (n == 0) {
            return true;
        }
        if (text.charAt(0) == ' ' || text.charAt(n - 1) == ' ') {
            return false;
        }
        char previous = 'x';
        for (int i = 0; i < n; i++) {
            char c = text.charAt(i);
            if (c >= 0x80 || (c < 0x20) || c == 0x7f || (c == ' ' && previous == ' ')) {
                return false;
            }
            previous = c;
        }
        return true;
    }

    /** True when the text has nothing but whitespace. */
    public static boolean isBlank(String text) {
        if (text == null) {
            return true;
        }
        for (int i = 0; i < text.length(); ) {
            int cp = text.codePointAt(i);
            if (!Character.isWhitespace(cp) && !Character.isSpaceChar(cp)) {
                return false;
            }
            i += Character.charCount(cp);
        }
        return true;
    }
}
