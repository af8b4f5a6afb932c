package dev.prefstream.publisher;

import dev.prefstream.checkpoint.format.CheckpointVerification;

import java.util.regex.Pattern;

/**
 * The {@code status_reason} of a REJECTED record, which everyone who reads the registry topic sees: it says which
 * file failed and how, never a hash or a piece of content. A candidate record can name any directory the
 * publisher may read; a reason like "has sha256 X" or a JSON parser's "Unexpected character ('r' ...)" would let a
 * producer learn the hash or a fragment of a file it cannot read. The full problem goes to the publisher's log.
 */
final class RejectionReasons {

    private static final Pattern HEX = Pattern.compile("\\b[0-9a-fA-F]{16,}\\b");

    private RejectionReasons() {
    }

    /** "artifact failed verification: file 'F' PROBLEM", with hashes removed and nothing after the problem's first colon. */
    static String verificationFailed(CheckpointVerification v) {
        return "artifact failed verification: " + (v.badFile() == null ? "" : "file '" + redact(v.badFile()) + "' ") + redact(v.problem());
    }

    /** "evaluation failed: ExceptionType" (the message may quote the file). */
    static String evaluationFailed(Throwable e) {
        return "evaluation failed: " + e.getClass().getSimpleName() + " (details in the publisher log)";
    }

    /** {@code text} without hex runs of 16+ characters and without anything after its first colon. */
    static String redact(String text) {
        if (text == null) {
            return "";
        }
        int colon = text.indexOf(':');
        String head = colon >= 0 ? text.substring(0, colon) : text;
        return HEX.matcher(head).replaceAll("<hash>");
    }
}
