package dev.prefstream.publisher;

import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.topics.TopicProvisioner;
import org.apache.kafka.clients.admin.Admin;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Creates the candidates topic on first use (1 partition keeps candidates in checkpoint order; 7 days retention). */
public final class CandidateTopic {

    private CandidateTopic() {
    }

    /** The topic's shape. */
    public static TopicLayout.TopicSpec spec(String name) {
        return new TopicLayout.TopicSpec(name, 1, Map.of("cleanup.policy", "delete", "retention.ms", String.valueOf(7L * 24 * 3600 * 1000)));
    }

    /** Creates {@code name} if it does not exist. */
    public static void ensure(Map<String, Object> kafka, String name) {
        Map<String, Object> a = new HashMap<>(kafka);
        a.remove("schema.registry.url");
        try (Admin admin = Admin.create(a)) {
            new TopicProvisioner(admin, Duration.ofSeconds(30)).ensure(List.of(spec(name)));
        }
    }
}
