package dev.prefstream.cli;

import dev.prefstream.ingest.config.IngestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code ingest} on a fresh broker picked up state an earlier run had left in Kafka Streams' shared default,
 * /tmp/kafka-streams, and logged TaskCorruptedException traces: the default is now per data directory and cluster.
 */
class StreamsStateDirTest {

    @TempDir
    Path dir;

    private IngestCommand parse(String... args) {
        IngestCommand command = new IngestCommand();
        new CommandLine(command).parseArgs(args);
        return command;
    }

    @Test
    void theDefaultStateDirectoryIsKeyedByTheClusterUnderTheDataDirectory() {
        IngestCommand ingest = parse("--data", dir.toString());
        IngestConfig first = ingest.config("clusterA-1");
        IngestConfig fresh = ingest.config("clusterB/2");
        assertThat(first.stateDirectory()).isEqualTo(dir.resolve("streams").resolve("clusterA-1").resolve("prefstream-ingest"));
        assertThat(fresh.stateDirectory()).isEqualTo(dir.resolve("streams").resolve("clusterB_2").resolve("prefstream-ingest"));
        assertThat(first.streamsProperties().getProperty("state.dir")).isEqualTo(dir.resolve("streams").resolve("clusterA-1").toString());
        assertThat(first.stateDirectory()).isNotEqualTo(fresh.stateDirectory());
        assertThat(first.stateDirectory().startsWith(Path.of("/tmp/kafka-streams"))).isFalse();
    }

    @Test
    void anExplicitStateDirWins() throws Exception {
        Path config = Files.writeString(dir.resolve("ingest.properties"), "state.dir=" + dir.resolve("mine") + "\n");
        IngestConfig c = parse("--data", dir.toString(), "--config", config.toString()).config("clusterA");
        assertThat(c.stateDirectory()).isEqualTo(dir.resolve("mine").resolve("prefstream-ingest"));
        assertThat(IngestConfig.defaultConfig().withDefaultStateDir(dir, "x").withDefaultStateDir(dir, "y").stateDirectory())
                .isEqualTo(dir.resolve("streams").resolve("x").resolve("prefstream-ingest"));
    }
}
