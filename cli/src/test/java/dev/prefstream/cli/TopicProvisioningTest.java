package dev.prefstream.cli;

import dev.prefstream.devstack.broker.EmbeddedBrokerSettings;
import dev.prefstream.devstack.broker.EmbeddedKafkaBroker;
import dev.prefstream.schemas.TopicLayout;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The services (ingest, train, publish) create prefstream's topics on a bare cluster, as compose.yaml relies on. */
class TopicProvisioningTest {

    @Command(name = "holder")
    static final class Holder {
        @Mixin
        KafkaOptions kafka;
    }

    @Test
    void createsEveryMissingTopicOnceOnABareBroker(@TempDir Path data) throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(EmbeddedBrokerSettings.onFreePorts(data))) {
            Holder holder = new Holder();
            new CommandLine(holder).parseArgs("--bootstrap", broker.bootstrapServers(), "--registry", "mock://topic-provisioning"); // topics need no registry

            List<String> created = holder.kafka.provisionTopics();

            List<String> expected = TopicLayout.topics(TopicLayout.DEFAULT_DATA_PARTITIONS).stream().map(TopicLayout.TopicSpec::name).toList();
            assertThat(created).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(holder.kafka.provisionTopics()).as("second start creates nothing").isEmpty();
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                TopicDescription pairs = admin.describeTopics(List.of(TopicLayout.PREFERENCE_PAIRS)).allTopicNames().get()
                        .get(TopicLayout.PREFERENCE_PAIRS);
                assertThat(pairs.partitions()).hasSize(TopicLayout.DEFAULT_DATA_PARTITIONS);
            }
        }
    }
}
