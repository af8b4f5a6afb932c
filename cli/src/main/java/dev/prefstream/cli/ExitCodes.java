package dev.prefstream.cli;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The exit codes of every {@code prefstream} command, one meaning each, so that a script can tell "you called it
 * wrong" from "the broker is not there" from "it ran and the answer is no". The README's troubleshooting section
 * and {@code prefstream --help} print {@link #TABLE}; {@code ClosedPortTest#theExitCodeTableIsInHelpAndInTheReadme} keeps the three in step.
 */
final class ExitCodes {

    /** The command did what it was asked. */
    static final int OK = 0;
    /** The command failed while running (I/O, a Kafka error, events not delivered, a bad --config file, a crash). */
    static final int FAILED = 1;
    /**
     * The input or the result is not usable: a file that cannot be read, whose format is not detected or that yields
     * nothing (import of a non-empty file producing no event; logps, bench train: a model that does not load), the
     * demo's policy did not improve, {@code registry latest} found nothing.
     */
    static final int NO_RESULT = 2;
    /** Usage error: an unknown option, a missing or malformed argument, a value out of range (sysexits EX_USAGE). */
    static final int USAGE = 64;
    /** Kafka or the schema registry is not reachable at the configured address (sysexits EX_UNAVAILABLE). */
    static final int UNAVAILABLE = 69;
    /** Stopped by Ctrl-C (SIGINT); 143 for SIGTERM, as for any JVM ended by a signal. */
    static final int INTERRUPTED = 130;

    /** Code -> meaning, in the order --help and the README list them. */
    static final Map<Integer, String> TABLE = table();

    private ExitCodes() {
    }

    private static Map<Integer, String> table() {
        Map<Integer, String> t = new LinkedHashMap<>();
        t.put(OK, "success");
        t.put(FAILED, "the command failed while running (I/O or Kafka error, events not delivered, bad --config file)");
        t.put(NO_RESULT, "input or result not usable: unreadable file, format not detected, import produced no event, "
                + "model does not load, demo did not improve, registry latest found none");
        t.put(USAGE, "usage error: unknown option, missing or malformed argument, value out of range, a model name taken by another lineage");
        t.put(UNAVAILABLE, "Kafka broker or schema registry not reachable (start one with `prefstream up`)");
        t.put(INTERRUPTED, "stopped by Ctrl-C (143: by SIGTERM)");
        return Collections.unmodifiableMap(t);
    }

    /** The table as picocli's exit code list (right-aligned code -> meaning), for --help. */
    static Map<String, String> helpList() {
        Map<String, String> list = new LinkedHashMap<>();
        TABLE.forEach((code, meaning) -> list.put(String.format("%3d", code), meaning));
        return list;
    }
}
