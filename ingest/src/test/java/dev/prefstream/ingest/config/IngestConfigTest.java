package dev.prefstream.ingest.config;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IngestConfigTest {

    @Test
    void defaultsAreTheDocumentedOnes() {
        IngestConfig c = IngestConfig.defaultConfig();
        assertThat(c.applicationId()).isEqualTo("prefstream-ingest");
        assertThat(c.inputTopic()).isEqualTo("preference-events");
        assertThat(c.outputTopic()).isEqualTo("preference-pairs");
        assertThat(c.dlqTopic()).isEqualTo("preference-events-dlq");
        assertThat(c.rankingStrategy()).isEqualTo(RankingStrategy.BEST_VS_WORST);
        assertThat(c.ratingScore()).isEqualTo(RatingScore.OVERALL);
        assertThat(c.ratingPairing()).isEqualTo(RatingPairing.BEST_VS_RANDOM_LOWER);
        assertThat(c.dedupRetention()).isEqualTo(Duration.ofDays(7));
        assertThat(c.feedbackWindow()).isEqualTo(Duration.ofHours(24));
        assertThat(c.aiJudgeWeight()).isEqualTo(1.0);
        assertThat(c.registryUrl()).isEqualTo("http://localhost:8081");
        assertThat(c.clientProperties()).containsEntry("bootstrap.servers", "localhost:9092");
    }

    @Test
    void parsesEnumsDurationsAndPassesClientPropertiesThrough() {
        IngestConfig c = IngestConfig.from(Map.of(
                "ingest.ranking.strategy", "adjacent",
                "ingest.rating.pairing", "max-vs-min",
                "ingest.dedup.retention", "3d",
                "ingest.feedback.window", "PT30M",
                "ingest.metrics.log-interval", "1500ms",
                "security.protocol", "SASL_SSL",
                "sasl.mechanism", "PLAIN"));
        assertThat(c.rankingStrategy()).isEqualTo(RankingStrategy.ADJACENT);
        assertThat(c.ratingPairing()).isEqualTo(RatingPairing.MAX_VS_MIN);
        assertThat(c.dedupRetention()).isEqualTo(Duration.ofDays(3));
        assertThat(c.feedbackWindow()).isEqualTo(Duration.ofMinutes(30));
        assertThat(c.metricsLogInterval()).isEqualTo(Duration.ofMillis(1500));
        assertThat(c.streamsProperties()).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "PLAIN")
                .doesNotContainKey("ingest.ranking.strategy");
    }

    @Test
    void badValuesNameTheKey() {
        assertThatThrownBy(() -> IngestConfig.from(Map.of("ingest.ranking.strategy", "median")))
                .isInstanceOf(IngestConfigException.class).hasMessageContaining("ingest.ranking.strategy").hasMessageContaining("BEST_VS_WORST");
        assertThatThrownBy(() -> IngestConfig.from(Map.of("ingest.dedup.retention", "soon")))
                .hasMessageContaining("ingest.dedup.retention");
        assertThatThrownBy(() -> IngestConfig.from(Map.of("ingest.ai-judge.weight", "0")))
                .hasMessageContaining("ingest.ai-judge.weight");
        assertThatThrownBy(() -> IngestConfig.from(Map.of("ingest.rating.min-margin", "-1")))
                .hasMessageContaining("ingest.rating.min-margin");
        assertThatThrownBy(() -> IngestConfig.from(Map.of("ingest.topic.pairs", "preference-events")))
                .hasMessageContaining("must differ");
        assertThatThrownBy(() -> IngestConfig.from(Map.of("ingest.dedup.retentoin", "P7D")))
                .hasMessageContaining("unknown ingest key 'ingest.dedup.retentoin'");
    }
}
