package dev.prefstream.ingest.importer;

import java.util.Arrays;
import java.util.Locale;

/** Which of PKU-SafeRLHF's two pairwise labels an import turns into the comparison. */
public enum SafeRlhfLabel {
    /** {@code better_response_id}: the more helpful answer. */
    BETTER("better", "better_response_id"),
    /** {@code safer_response_id}: the less harmful answer. */
    SAFER("safer", "safer_response_id");

    private final String cliName;
    private final String field;

    SafeRlhfLabel(String cliName, String field) {
        this.cliName = cliName;
        this.field = field;
    }

    public String cliName() {
        return cliName;
    }

    /** The dataset field holding this label (0 or 1). */
    String field() {
        return field;
    }

    public static SafeRlhfLabel parse(String name) {
        String wanted = name.trim().toLowerCase(Locale.ROOT);
        return Arrays.stream(values()).filter(l -> l.cliName.equals(wanted)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown preference '" + name + "'; one of better, safer"));
    }
}
