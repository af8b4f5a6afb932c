package dev.prefstream.schemas.registry;

import org.apache.avro.Schema;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Each level's direction and reach (latest only vs every version), on schemas with known relationships. */
class CompatibilityLevelTest {

    private static Schema record(String fields) {
        return new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[" + fields + "]}");
    }

    /** v1: a required. */
    private static final Schema V1 = record("{\"name\":\"a\",\"type\":\"string\"}");
    /** v2: a dropped, b optional with default. New reads old (a ignored, b defaulted); old cannot read new (a missing, no default). */
    private static final Schema V2 = record("{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"default\":null}");
    /** v3: b and c, both with defaults: reads v2 data; v2 reads v3 data; reads v1 data too (no required field missing). */
    private static final Schema V3 = record("{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"c\",\"type\":\"int\",\"default\":0}");
    /** v3' requires a again without default: compatible with nothing but v1 as a reader of v1. */
    private static final Schema NEEDS_C = record("{\"name\":\"b\",\"type\":[\"null\",\"string\"],\"default\":null},{\"name\":\"c\",\"type\":\"int\"}");

    @Test
    void backwardChecksThatTheNewSchemaReadsTheLatest() {
        assertThat(CompatibilityLevel.BACKWARD.violations(V2, List.of(V1))).isEmpty();
        assertThat(CompatibilityLevel.BACKWARD.violations(NEEDS_C, List.of(V1, V2))).isNotEmpty().anyMatch(m -> m.contains("c"));
    }

    @Test
    void forwardChecksThatTheLatestReadsTheNewSchema() {
        assertThat(CompatibilityLevel.FORWARD.violations(V2, List.of(V1))).isNotEmpty();
        assertThat(CompatibilityLevel.FORWARD.violations(V3, List.of(V2))).isEmpty();
        assertThat(CompatibilityLevel.FULL.violations(V3, List.of(V2))).isEmpty();
        assertThat(CompatibilityLevel.FULL.violations(V2, List.of(V1))).isNotEmpty();
    }

    @Test
    void transitiveLevelsCheckEveryEarlierVersionTheOthersOnlyTheLatest() {
        // v3 vs v2 is fully compatible; v1 (an older version) cannot read v3 data (a missing)
        assertThat(CompatibilityLevel.FORWARD.violations(V3, List.of(V1, V2))).isEmpty();
        assertThat(CompatibilityLevel.FORWARD_TRANSITIVE.violations(V3, List.of(V1, V2))).isNotEmpty();
        assertThat(CompatibilityLevel.FULL.violations(V3, List.of(V1, V2))).isEmpty();
        assertThat(CompatibilityLevel.FULL_TRANSITIVE.violations(V3, List.of(V1, V2))).isNotEmpty();
        // backward: v3 reads v1 and v2 data, transitively fine as well
        assertThat(CompatibilityLevel.BACKWARD_TRANSITIVE.violations(V3, List.of(V1, V2))).isEmpty();
        assertThat(CompatibilityLevel.BACKWARD_TRANSITIVE.violations(NEEDS_C, List.of(V1, V2))).isNotEmpty();
    }

    @Test
    void noneAcceptsAnythingAndFirstVersionsAreAlwaysCompatible() {
        assertThat(CompatibilityLevel.NONE.violations(NEEDS_C, List.of(V1, V2))).isEmpty();
        assertThat(CompatibilityLevel.FULL_TRANSITIVE.violations(NEEDS_C, List.of())).isEmpty();
    }

    @Test
    void parsesNamesCaseInsensitivelyAndRejectsUnknownOnesNamingTheValidValues() {
        assertThat(CompatibilityLevel.parse("full_transitive")).isEqualTo(CompatibilityLevel.FULL_TRANSITIVE);
        assertThatThrownBy(() -> CompatibilityLevel.parse("sideways"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("sideways").hasMessageContaining("backward");
    }
}
