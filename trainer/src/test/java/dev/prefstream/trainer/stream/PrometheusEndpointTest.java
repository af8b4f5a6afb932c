package dev.prefstream.trainer.stream;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class PrometheusEndpointTest {

    @Test
    void servesTrainerMetricsInPrometheusTextFormat() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        long[] now = {1_000_000};
        TrainerMetrics m = new TrainerMetrics(registry, "tiny", () -> now[0]);
        Map<String, Double> step = new LinkedHashMap<>();
        step.put("loss", 0.61);
        step.put("rewards/chosen", 0.2);
        step.put("rewards/rejected", -0.1);
        step.put("rewards/accuracies", 0.75);
        step.put("rewards/margins", 0.3);
        step.put("logps/chosen", -40.0);
        step.put("grad_norm", 1.5);
        step.put("learning_rate", 1e-3);
        step.put("tokens_per_s", 2000.0);
        step.put("tokens", 400.0);
        step.put("truncated_pairs", 1.0);
        step.put("pairs", 8.0);
        step.put("skipped", 0.0);
        m.step(8, step, 200_000_000L);
        m.lag(42);
        m.checkpointWritten(now[0] - 5_000);
        m.promoted();
        m.rejected();
        m.rejected();

        try (PrometheusEndpoint endpoint = new PrometheusEndpoint(registry, 0)) {
            HttpResponse<String> r = HttpClient.newHttpClient().send(
                    HttpRequest.newBuilder(URI.create("http://localhost:" + endpoint.port() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).isEqualTo(200);
            String body = r.body();
            assertThat(body).contains("prefstream_trainer_loss{model=\"tiny\"} 0.61")
                    .contains("prefstream_trainer_rewards_margins{model=\"tiny\"} 0.3")
                    .contains("prefstream_trainer_skipped{model=\"tiny\"} 0.0")
                    .contains("prefstream_trainer_rewards_accuracies{model=\"tiny\"} 0.75")
                    .contains("prefstream_trainer_pairs_total{model=\"tiny\"} 8.0")
                    .contains("prefstream_trainer_tokens_total{model=\"tiny\"} 400.0")
                    .contains("prefstream_trainer_pairs_per_second{model=\"tiny\"} 40.0")
                    .contains("prefstream_trainer_tokens_per_second{model=\"tiny\"} 2000.0")
                    .contains("prefstream_trainer_consumer_lag{model=\"tiny\"} 42.0")
                    .contains("prefstream_trainer_checkpoint_age_seconds{model=\"tiny\"} 5.0")
                    .contains("prefstream_trainer_truncated_pairs_total{model=\"tiny\"} 1.0")
                    .contains("prefstream_publisher_promotions_total{model=\"tiny\"} 1.0")
                    .contains("prefstream_publisher_rejections_total{model=\"tiny\"} 2.0");
        }
    }
}
