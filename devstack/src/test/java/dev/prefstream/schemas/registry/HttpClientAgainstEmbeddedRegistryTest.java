package dev.prefstream.schemas.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.serde.AvroSerdeConfig;
import dev.prefstream.devstack.testing.KafkaClusterExtension;
import java.io.IOException;
import java.io.InputStream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The HTTP client against prefstream's real embedded registry (Kafka-backed): every client call, so a mismatch
 * between client and server shows up here rather than in a service. Record round trips through broker and registry
 * live with the embedded registry's tests.
 */
class HttpClientAgainstEmbeddedRegistryTest {

    @RegisterExtension
    static final KafkaClusterExtension KAFKA = new KafkaClusterExtension(1, java.util.Map.of());

    @Test
    void everyClientCallAgainstTheRealServer() throws IOException {
        Schema previous;
        try (InputStream in = getClass().getResourceAsStream("/avro-previous/PreferencePair-v1.avsc")) {
            previous = new Schema.Parser().parse(in);
        }
        Schema current = PreferencePair.getClassSchema();
        Schema breaking = SchemaBuilder.record("PreferencePair").namespace("dev.prefstream.schemas.avro").fields()
                .requiredString("pair_id").requiredInt("must_have").endRecord();
        SchemaRegistryClient client = SchemaRegistryClients.forUrl(AvroSerdeConfig.forUrl(KAFKA.registryUrl()));
        String subject = "interop pairs/value";

        int v1 = client.register(subject, previous);
        assertThat(client.isCompatible(subject, current)).isTrue();
        assertThat(client.isCompatible(subject, breaking)).isFalse();
        int v2 = client.register(subject, current);
        assertThat(v2).isNotEqualTo(v1);
        // a fresh client (empty caches) sees the same: same schema again -> same id; ids resolve to the schemas
        SchemaRegistryClient fresh = SchemaRegistryClients.forUrl(AvroSerdeConfig.forUrl(KAFKA.registryUrl()));
        assertThat(fresh.register(subject, previous)).isEqualTo(v1);
        assertThat(fresh.getById(v1)).isEqualTo(previous);
        assertThat(fresh.getById(v2)).isEqualTo(current);
        assertThat(fresh.latest(subject)).isEqualTo(new RegisteredSchema(subject, v2, 2, current));
        assertThat(fresh.lookup(subject, previous)).isEqualTo(new RegisteredSchema(subject, v1, 1, previous));
        assertThat(fresh.subjects()).contains(subject);

        assertThatThrownBy(() -> fresh.register(subject, breaking)).isInstanceOfSatisfying(RegistryErrorException.class, e -> {
            assertThat(e.httpStatus()).isEqualTo(409);
            assertThat(e.isIncompatible()).isTrue();
        }).hasMessageContaining(KAFKA.registryUrl());
        assertThatThrownBy(() -> fresh.getById(99_999)).isInstanceOfSatisfying(RegistryErrorException.class,
                e -> assertThat(e.errorCode()).isEqualTo(RegistryErrorException.SCHEMA_NOT_FOUND));
        assertThatThrownBy(() -> fresh.latest("no-such-subject")).isInstanceOfSatisfying(RegistryErrorException.class,
                e -> assertThat(e.errorCode()).isEqualTo(RegistryErrorException.SUBJECT_NOT_FOUND));
        assertThatThrownBy(() -> fresh.lookup(subject, breaking)).isInstanceOfSatisfying(RegistryErrorException.class,
                e -> assertThat(e.errorCode()).isEqualTo(RegistryErrorException.SCHEMA_NOT_FOUND));
        // not covered here: invalid schemas (this client takes parsed ones, so it cannot send one); the server's 422/42201
        // for them is in EmbeddedSchemaRegistryTest, the client's 42201 mapping against a stub in HttpSchemaRegistryClientTest.
        // Schemas with Confluent references (registered by non-Java clients) are read back in SchemaReferencesInteropTest.
    }
}
