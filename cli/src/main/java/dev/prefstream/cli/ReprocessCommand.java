package dev.prefstream.cli;

import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.service.ConsumerGroupProgress;
import dev.prefstream.ingest.service.IngestService;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.topics.TopicProvisioner;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * {@code prefstream reprocess}: re-runs the ingest rules over the raw {@code preference-events} from a timestamp into
 * a new pairs topic, e.g. after changing binarization rules ({@code ingest.*} keys in {@code --config}). It is a
 * separate Kafka Streams application ({@code prefstream-reprocess-<topic>-<from>}, so state, dedup and offsets start
 * fresh and the live ingest is untouched) whose input offsets are set to the first event at or after the timestamp
 * before it starts. It stops once it has processed everything that was in the events topic when it started
 * (or keeps following with {@code --follow}); running the same command again resumes where it stopped.
 * Train on the result with {@code prefstream train --pairs-topic NAME} (or replay with {@code --pairs-topic}).
 */
@Command(name = "reprocess", mixinStandardHelpOptions = true,
        description = "Re-run the ingest rules over preference-events from a timestamp into a new pairs topic.")
final class ReprocessCommand implements Callable<Integer> {

    private static final Logger log = LoggerFactory.getLogger(ReprocessCommand.class);

    @Mixin
    KafkaOptions kafkaOptions;

    @Option(names = "--from-timestamp", required = true, paramLabel = "T", description = "First event time to reprocess (ISO-8601 or epoch ms; 0 = all).")
    String fromTimestamp;

    @Option(names = "--to-topic", required = true, paramLabel = "NAME", description = "The new pairs topic (created like preference-pairs).")
    String toTopic;

    @Option(names = "--events-topic", defaultValue = TopicLayout.PREFERENCE_EVENTS, paramLabel = "TOPIC", description = "Default: ${DEFAULT-VALUE}.")
    String eventsTopic;

    @Option(names = "--follow", description = "Keep running after catching up (until Ctrl-C).")
    boolean follow;

    @Option(names = "--data", paramLabel = "DIR", defaultValue = "./data",
            description = "Data directory: Kafka Streams state goes to DIR/streams/CLUSTER_ID unless --config sets state.dir (default: ${DEFAULT-VALUE}).")
    java.nio.file.Path data;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        if (toTopic.equals(TopicLayout.PREFERENCE_PAIRS)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--to-topic must be a new topic, not the live " + TopicLayout.PREFERENCE_PAIRS);
        }
        long from = TimestampArgument.parseMillis("--from-timestamp", fromTimestamp);
        Map<String, Object> client = new HashMap<>(kafkaOptions.clientConfig());
        String appId = "prefstream-reprocess-" + toTopic + "-" + from;
        client.put(IngestConfig.APPLICATION_ID, appId);
        client.put(IngestConfig.TOPIC_EVENTS, eventsTopic);
        client.put(IngestConfig.TOPIC_PAIRS, toTopic);
        client.put(IngestConfig.TOPIC_DLQ, toTopic + "-dlq");
        client.keySet().removeIf(k -> k.startsWith("prefstream."));
        IngestConfig config = IngestConfig.from(client).withDefaultStateDir(data, kafkaOptions.requireReachable());

        Map<String, Object> admin = new HashMap<>(kafkaOptions.clientConfig());
        admin.keySet().removeIf(k -> k.startsWith("prefstream.") || k.startsWith("ingest.") || k.equals("schema.registry.url"));
        Map<TopicPartition, Long> endAtStart;
        try (Admin a = Admin.create(admin);
             KafkaConsumer<byte[], byte[]> probe = new KafkaConsumer<>(withoutGroup(admin), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = probe.partitionsFor(eventsTopic, Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(eventsTopic, p.partition())).toList();
            new TopicProvisioner(a, Duration.ofSeconds(30)).ensure(List.of(
                    new TopicLayout.TopicSpec(toTopic, parts.size(), Map.of("cleanup.policy", "delete", "retention.ms", "-1", "retention.bytes", "-1")),
                    new TopicLayout.TopicSpec(toTopic + "-dlq", 1, Map.of("cleanup.policy", "delete"))));
            endAtStart = probe.endOffsets(parts, Duration.ofSeconds(30));
            Map<TopicPartition, OffsetAndMetadata> committed = a.listConsumerGroupOffsets(appId).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            if (committed.isEmpty()) {
                Map<TopicPartition, Long> query = new HashMap<>();
                parts.forEach(tp -> query.put(tp, from));
                Map<TopicPartition, OffsetAndTimestamp> found = probe.offsetsForTimes(query, Duration.ofSeconds(30));
                Map<TopicPartition, OffsetAndMetadata> start = new HashMap<>();
                for (TopicPartition tp : parts) {
                    OffsetAndTimestamp ot = found.get(tp);
                    start.put(tp, new OffsetAndMetadata(ot != null ? ot.offset() : endAtStart.get(tp), "reprocess from " + from));
                }
                a.alterConsumerGroupOffsets(appId, start).all().get(30, TimeUnit.SECONDS);
                log.info("Reprocess {} starts at {}", appId, start);
            } else {
                log.info("Reprocess {} resumes at its committed offsets {}", appId, committed);
            }
        }

        try (IngestService service = new IngestService(config); ConsumerGroupProgress progress = new ConsumerGroupProgress(admin, appId)) {
            Runtime.getRuntime().addShutdownHook(new Thread(service::close, "prefstream-reprocess-shutdown"));
            service.start();
            System.out.println("prefstream reprocess: " + eventsTopic + " from " + from + " -> " + toTopic + " (application.id " + appId + ")");
            if (follow) {
                service.awaitStopped();
                return 0;
            }
            // stage 1 has consumed every event present at start; what it forwarded sits on the repartition topic,
            // written in the same transactions as those input offsets, so its end offsets now bound stage 2's work
            awaitReached(progress, endAtStart);
            Map<TopicPartition, Long> repartitionEnds = progress.endOffsets(repartitionPartitions(admin, appId));
            awaitReached(progress, repartitionEnds);
            System.out.println("prefstream reprocess: caught up with the events present at start; pairs in " + toTopic);
            return 0;
        }
    }

    private static void awaitReached(ConsumerGroupProgress progress, Map<TopicPartition, Long> targets) throws InterruptedException {
        while (!progress.reached(targets)) {
            Thread.sleep(1000);
        }
    }

    /** The partitions of the application's internal repartition topics (none before Kafka Streams created them). */
    private static List<TopicPartition> repartitionPartitions(Map<String, Object> admin, String appId) throws Exception {
        try (Admin a = Admin.create(admin)) {
            List<String> topics = a.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                    .filter(t -> t.startsWith(appId + "-") && t.endsWith("-repartition")).toList();
            List<TopicPartition> partitions = new java.util.ArrayList<>();
            a.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).forEach((name, d) ->
                    d.partitions().forEach(p -> partitions.add(new TopicPartition(name, p.partition()))));
            // Kafka Streams creates its repartition topic on its first rebalance, before it forwards anything; when
            // stage 1 had nothing to read (no event after --from-timestamp) it may not exist yet: nothing for stage 2
            return partitions;
        }
    }

    private static Map<String, Object> withoutGroup(Map<String, Object> c) {
        Map<String, Object> m = new HashMap<>(c);
        m.remove(ConsumerConfig.GROUP_ID_CONFIG);
        return m;
    }
}
