package dev.prefstream.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;

/** Confluent's semantics where a client notices them. */
class InMemorySchemaRegistryClientTest {

    private static final Schema V1 = SchemaBuilder.record("Thing").namespace("test").fields().requiredString("name").endRecord();
    private static final Schema V2_WITH_DEFAULT = SchemaBuilder.record("Thing").namespace("test").fields()
            .requiredString("name").name("size").type().intType().intDefault(0).endRecord();
    private static final Schema V2_WITHOUT_DEFAULT = SchemaBuilder.record("Thing").namespace("test").fields()
            .requiredString("name").requiredInt("size").endRecord();
    private static final Schema OTHER = SchemaBuilder.record("Other").namespace("test").fields().requiredLong("n").endRecord();

    private final InMemorySchemaRegistryClient registry = new InMemorySchemaRegistryClient();

    @Test
    void idsAreGlobalAndStableAndVersionsCountPerSubject() {
        assertThat(registry.register("a-value", V1)).isEqualTo(1);
        assertThat(registry.register("a-value", V1)).isEqualTo(1);
        assertThat(registry.register("b-value", V1)).isEqualTo(1);
        assertThat(registry.register("c-value", OTHER)).isEqualTo(2);
        assertThat(registry.register("a-value", V2_WITH_DEFAULT)).isEqualTo(3);

        assertThat(registry.latest("a-value")).isEqualTo(new RegisteredSchema("a-value", 3, 2, V2_WITH_DEFAULT));
        assertThat(registry.lookup("a-value", V1)).isEqualTo(new RegisteredSchema("a-value", 1, 1, V1));
        assertThat(registry.getById(2)).isEqualTo(OTHER);
        assertThat(registry.subjects()).containsExactly("a-value", "b-value", "c-value");
    }

    @Test
    void backwardCompatibilityIsEnforcedAgainstTheLatestVersion() {
        registry.register("t-value", V1);

        assertThat(registry.isCompatible("t-value", V2_WITH_DEFAULT)).isTrue();
        assertThat(registry.isCompatible("t-value", V2_WITHOUT_DEFAULT)).isFalse();
        assertThat(registry.isCompatible("empty-value", V2_WITHOUT_DEFAULT)).isTrue();
        assertThatThrownBy(() -> registry.register("t-value", V2_WITHOUT_DEFAULT))
                .isInstanceOfSatisfying(RegistryErrorException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.isIncompatible()).isTrue();
                })
                .hasMessageContaining("subject t-value")
                .hasMessageContaining("READER_FIELD_MISSING_DEFAULT_VALUE")
                .hasMessageContaining("size");

        registry.setCompatibility("t-value", CompatibilityLevel.NONE);
        assertThat(registry.register("t-value", V2_WITHOUT_DEFAULT)).isEqualTo(2);
    }

    @Test
    void forwardAndFullCheckTheOtherDirectionToo() {
        registry.setDefaultCompatibility(CompatibilityLevel.FORWARD);
        registry.register("f-value", V2_WITHOUT_DEFAULT);
        // old reader (with size, no default) cannot read new data without size
        assertThat(registry.isCompatible("f-value", V1)).isFalse();

        registry.setCompatibility("g-value", CompatibilityLevel.FULL);
        registry.register("g-value", V1);
        assertThat(registry.isCompatible("g-value", V2_WITH_DEFAULT)).isTrue();
        assertThat(registry.isCompatible("g-value", V2_WITHOUT_DEFAULT)).isFalse();
    }

    @Test
    void missingSubjectsAndIdsUseConfluentCodes() {
        assertThatThrownBy(() -> registry.getById(42)).isInstanceOfSatisfying(RegistryErrorException.class,
                e -> assertThat(e.errorCode()).isEqualTo(40403)).hasMessageContaining("schema id 42");
        assertThatThrownBy(() -> registry.latest("nope")).isInstanceOfSatisfying(RegistryErrorException.class,
                e -> assertThat(e.errorCode()).isEqualTo(40401)).hasMessageContaining("subject nope");
        registry.register("x-value", V1);
        assertThatThrownBy(() -> registry.lookup("x-value", OTHER)).isInstanceOfSatisfying(RegistryErrorException.class,
                e -> assertThat(e.errorCode()).isEqualTo(40403));
    }
}
