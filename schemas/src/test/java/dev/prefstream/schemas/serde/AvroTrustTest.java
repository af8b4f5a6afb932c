package dev.prefstream.schemas.serde;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Avro 1.12's trusted-packages check, each case in a fresh JVM (Avro reads its trust settings once per JVM, so
 * in-process tests would only see whatever an earlier test left behind). Three JVMs at roughly a second each.
 */
class AvroTrustTest {

    @Test
    void plainAvroRefusesOurGeneratedClassesWithoutTrust() throws Exception {
        // proves the problem is real, so the next tests prove the fix and not a no-op
        assertThat(probe("raw")).startsWith("FORBIDDEN ").contains("dev.prefstream.schemas.avro.").contains("not trusted");
    }

    @Test
    void serdeDeserializesSpecificRecordsInAFreshJvmAndAppendsToAnExistingPackageList() throws Exception {
        assertThat(probe("serde", "-D" + AvroTrust.SERIALIZABLE_PACKAGES_PROPERTY + "=com.example.events"))
                .isEqualTo("READ pair-sha prompt[0].role=system equal=true property=com.example.events,dev.prefstream.schemas.avro");
    }

    @Test
    void trustHoldsEvenWhenAvrosValidatorWasInitialisedFirst() throws Exception {
        assertThat(probe("late")).isEqualTo("READ pair-sha prompt[0].role=system equal=true property=dev.prefstream.schemas.avro");
    }

    private static String probe(String mode, String... jvmArgs) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx128m");
        command.add("-XX:TieredStopAtLevel=1");
        command.addAll(List.of(jvmArgs));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), TrustProbe.class.getName(), mode));
        Path stderr = Files.createTempFile("trust-probe", ".err");
        try {
            // stderr goes to a file so that a chatty child cannot block on a full pipe while we read stdout
            Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
            byte[] out = process.getInputStream().readAllBytes();
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).as("probe exit; stderr: %s", Files.readString(stderr)).isZero();
            String[] lines = new String(out, StandardCharsets.UTF_8).strip().split("\n");
            return lines[lines.length - 1].strip();
        } finally {
            Files.deleteIfExists(stderr);
        }
    }
}
