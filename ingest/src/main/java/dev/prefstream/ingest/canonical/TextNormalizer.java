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

    /** True when the text has nothing but whitespace. */
    public static boolean isBlank(String text) {
        return text == null || normalize(text).isEmpty();
    }
}
