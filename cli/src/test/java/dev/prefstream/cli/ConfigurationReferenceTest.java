package dev.prefstream.cli;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The README's configuration reference is the key registry's table: a key added, renamed or given another default
 * in its owner's declaration fails here until the README says the same (the table to paste is written to
 * {@code cli/target/configuration-reference.md}).
 */
class ConfigurationReferenceTest {

    static final String BEGIN = "<!-- prefstream-settings: generated from PrefstreamSettings.REGISTRY.markdownTable(), see ConfigurationReferenceTest -->\n";
    static final String END = "<!-- /prefstream-settings -->";

    @Test
    void theReadmeListsEveryKeyOfTheRegistryWithItsDefaultAndMeaning() throws Exception {
        String readme = Files.readString(readme(), StandardCharsets.UTF_8);
        int from = readme.indexOf(BEGIN);
        int to = readme.indexOf(END);
        assertThat(from).as("README marker " + BEGIN.trim()).isPositive();
        assertThat(to).isGreaterThan(from);
        String table = PrefstreamSettings.REGISTRY.markdownTable();
        Path generated = Path.of("target", "configuration-reference.md");
        Files.createDirectories(generated.getParent());
        Files.writeString(generated, table, StandardCharsets.UTF_8); // to paste into the README when this fails
        assertThat(readme.substring(from + BEGIN.length(), to))
                .as("README configuration reference (the registry's table is in cli/%s)", generated)
                .isEqualTo(table);
    }

    private static Path readme() {
        Path here = Path.of("").toAbsolutePath();
        while (!Files.isRegularFile(here.resolve("README.md")) || !Files.isDirectory(here.resolve("cli"))) {
            here = here.getParent();
        }
        return here.resolve("README.md");
    }
}
