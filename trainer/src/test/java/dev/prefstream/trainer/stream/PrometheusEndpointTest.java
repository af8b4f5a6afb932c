package dev.prefstream.trainer.stream;

import dev.prefstream.trainer.dpo.StepMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

class PrometheusEndpointTest {

    @Test
    void servesTrainerMetricsInPrometheusTextFormat() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        long[] now = {1_000_000};
        TrainerMetrics m = new TrainerMetrics(registry, "tiny", () -> now[0]);
        // step, loss, rewards chosen/rejected/accuracies/margins, logps chosen/rejected, grad norm, lr, tokens/s,
        // tokens, pairs, truncated, skipped, millis
        m.step(new StepMetrics(1, 0.61, 0.2, -0.1, 0.75, 0.3, -40.0, -45.0, 1.5, 1e-3, 2000.0, 400, 8, 1, false, 200.0),
                200_000_000L);
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
