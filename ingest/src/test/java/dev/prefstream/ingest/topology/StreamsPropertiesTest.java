package dev.prefstream.ingest.topology;

import dev.prefstream.ingest.config.IngestConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

class StreamsPropertiesTest {

    @Test
    void enforcesExactlyOnceAndDefaultsCommitIntervalAndThreadsToTheCores() {
        Properties props = IngestTopology.streamsProperties(IngestConfig.defaultConfig());

        int cores = Runtime.getRuntime().availableProcessors();
        assertThat(props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
        assertThat(props.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo("1000");
        assertThat(props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG)).isEqualTo(String.valueOf(Math.min(4, cores)));
    }

    @Test
    void configuredThreadsAndCommitIntervalWin() {
        Properties props = IngestTopology.streamsProperties(IngestConfig.from(Map.of(
                StreamsConfig.NUM_STREAM_THREADS_CONFIG, "1", StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "250")));

        assertThat(props.get(StreamsConfig.NUM_STREAM_THREADS_CONFIG)).isEqualTo("1");
        assertThat(props.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo("250");
        assertThat(props.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
    }
}
