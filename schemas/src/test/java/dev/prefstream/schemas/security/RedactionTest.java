package dev.prefstream.schemas.security;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class RedactionTest {

    @Test
    void urlCredentialsJaasPasswordsAndSecretSettingsAreHiddenAndTheRestKept() {
        assertThat(Redaction.text("registry at http://alice:s3cret@reg:8081/x and https://bob@h:1"))
                .isEqualTo("registry at http://***@reg:8081/x and https://***@h:1");
        assertThat(Redaction.text("sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"ingest\" password=\"p@ss word\";"))
                .doesNotContain("p@ss").doesNotContain("ScramLoginModule required username");
        assertThat(Redaction.text("org.apache.kafka.common.security.plain.PlainLoginModule required username='u' password='pw';")).doesNotContain("'pw'");
        assertThat(Redaction.text("basic.auth.user.info=admin:hunter2, other=1")).isEqualTo("basic.auth.user.info=***, other=1");
        assertThat(Redaction.text("ssl.truststore.password: abc")).isEqualTo("ssl.truststore.password: ***");
        assertThat(Redaction.text("topic preference-events, subject x-value, schema id 3")).isEqualTo("topic preference-events, subject x-value, schema id 3");
        assertThat(Redaction.text(null)).isNull();
    }
}
