package dev.prefstream.cli;

import ai.djl.Device;
import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.checkpoint.registry.RegistryReader;
import dev.prefstream.devstack.testing.KafkaClusterExtension;
import dev.prefstream.ingest.config.IngestConfig;
import dev.prefstream.ingest.service.IngestService;
import dev.prefstream.publisher.CandidateMetrics;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.schemas.avro.Comparison;
import dev.prefstream.schemas.avro.ComparisonOutcome;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.avro.PreferenceEvent;
import dev.prefstream.schemas.avro.Response;
import dev.prefstream.schemas.serde.AvroSerdes;
import dev.prefstream.trainer.dpo.DpoTrainer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The whole loop through the CLI on a real broker and registry: feedback events -> ingest -> preference-pairs ->
 * {@code prefstream train} (real DPO on the tiny model, in-process publishing) -> promoted checkpoint on
 * model-registry -> {@code prefstream registry} -> loadable again by the trainer; then {@code prefstream replay}.
 */
class TrainPublishEndToEndTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension();

    @TempDir
    Path tmp;

    private record Run(int exit, String out, String err) {
    }

    private Run cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine c = Main.commandLine();
        c.setOut(new PrintWriter(out, true));
        c.setErr(new PrintWriter(err, true));
        int exit = c.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }

    private static PreferenceEvent event(int i) {
        return PreferenceEvent.newBuilder().setEventId("ev-" + i).setOccurredAt(Instant.now()).setSource(FeedbackSource.HUMAN)
                .setAnnotatorId("user-" + (i % 5)).setConversationId("conv-" + i)
                .setPrompt(List.of(ChatMessage.newBuilder().setRole("user").setContent("Can you help with task " + i + "?").build()))
                .setResponses(List.of(Response.newBuilder().setResponseId("a").setText("Yes, gladly: here is task " + i).build(),
                        Response.newBuilder().setResponseId("b").setText("no.").build()))
                .setJudgement(Comparison.newBuilder().setResponseA("a").setResponseB("b").setOutcome(ComparisonOutcome.A).build())
                .build();
    }

    @Test
    void eventsBecomeAPromotedCheckpointThatTheTrainerLoadsAgain() throws Exception {
        List<Map.Entry<String, PreferenceEvent>> events = new ArrayList<>();
        for (int i = 0; i < 72; i++) {
            events.add(Map.entry("ev-" + i, event(i)));
        }
        kafka.produce(TopicLayout.PREFERENCE_EVENTS, new StringSerializer(),
                AvroSerdes.specific(PreferenceEvent.class, kafka.clientConfigWithRegistry(), false).serializer(), events);

        Map<String, Object> ingestProps = new HashMap<>(kafka.clientConfigWithRegistry());
        ingestProps.put(IngestConfig.APPLICATION_ID, "ingest-e2e-" + UUID.randomUUID().toString().substring(0, 6));
        ingestProps.put("state.dir", tmp.resolve("streams").toString());
        String model = "tiny-e2e";
        Path out = tmp.resolve("checkpoints");
        Path store = tmp.resolve("store");
        Path config = tmp.resolve("prefstream.properties");
        Files.writeString(config, String.join("\n",
                "prefstream.trainer.pairs-per-step=4",
                "prefstream.trainer.max-batch-wait-ms=3000",
                "prefstream.trainer.held-out-fraction=0.25",
                "prefstream.trainer.leader-session-timeout-ms=6000",
                "prefstream.dpo.learning-rate=0.002",
                "prefstream.dpo.max-length=96",
                "prefstream.dpo.max-prompt-length=48",
                "prefstream.publisher.min-held-out-pairs=4",
                "prefstream.publisher.max-kl=100",
                "prefstream.publisher.min-accuracy=0.5",
                "prefstream.publisher.eval-max-length=96",
                "prefstream.publisher.eval-max-prompt-length=48",
                "prefstream.publisher.kl-prompts=4",
                "prefstream.publisher.kl-samples=1",
                "prefstream.publisher.kl-max-new-tokens=12",
                ""));
        String[] common = {"--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(), "--config", config.toString()};

        try (IngestService ingest = new IngestService(IngestConfig.from(ingestProps))) {
            ingest.start();
            Run train = cli(concat(new String[]{"train", "--model", "tiny", "--model-name", model, "--out", out.toString(), "--store", store.toString(),
                    "--checkpoint-steps", "3", "--max-steps", "6", "--metrics-port", "-1"}, common));
            assertThat(train.exit()).as(train.err()).isZero();
        }

        VerifiedCheckpoint step6 = CheckpointReader.newestGood(out).orElseThrow();
        assertThat(step6.step()).isEqualTo(6);
        assertThat(step6.manifest().offsets()).extracting(o -> o.topic()).containsOnly(TopicLayout.PREFERENCE_PAIRS);

        Run list = cli(concat(new String[]{"registry", "list", "--model", model}, common));
        assertThat(list.exit()).as(list.err()).isZero();
        assertThat(list.out()).contains("step-0000000003").contains("step-0000000006").contains(model);

        RegistryReader registry = RegistryReader.read(kafka.clientConfigWithRegistry(), TopicLayout.MODEL_REGISTRY);
        ModelCheckpoint latest = registry.latestPromoted(model).orElseThrow(() -> new AssertionError("nothing promoted: " + list.out()));
        assertThat(latest.getStatus()).isEqualTo(CheckpointStatus.PROMOTED);
        assertThat(latest.getMetrics().get(CandidateMetrics.ACCURACY)).isGreaterThanOrEqualTo(0.5);
        Run latestCli = cli(concat(new String[]{"registry", "latest", "--model", model}, common));
        assertThat(latestCli.out()).contains(latest.getVersion()).contains("PROMOTED");
        Run latestJson = cli(concat(new String[]{"registry", "latest", "--model", model, "--json"}, common));
        var node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(latestJson.out().trim());
        assertThat(node.get("version").asText()).isEqualTo(latest.getVersion());
        assertThat(node.get("manifest_sha256").asText()).isEqualTo(latest.getManifestSha256());

        // the promoted copy in the store verifies against the announced hash and the trainer core restores it
        Path stored = Path.of(URI.create(latest.getArtifactUri()));
        assertThat(CheckpointReader.verify(stored, latest.getManifestSha256()).isGood()).isTrue();
        try (DpoTrainer restored = DpoTrainer.restore(stored, Device.cpu(), null)) {
            assertThat(restored.step()).isEqualTo(latest.getStep());
        }

        // the service restarts from its newest checkpoint and goes on (pairs are all there: ingest has finished)
        Run again = cli(concat(new String[]{"train", "--model", "tiny", "--model-name", model, "--out", out.toString(), "--store", store.toString(),
                "--max-steps", "8", "--metrics-port", "-1"}, common));
        assertThat(again.exit()).as(again.err()).isZero();
        VerifiedCheckpoint step8 = CheckpointReader.newestGood(out).orElseThrow();
        assertThat(step8.step()).isEqualTo(8);
        assertThat(step8.manifest().parentVersion()).isEqualTo(step6.version());
        // batches of the first run may have closed early on the wait timer while ingest was still producing; the
        // second run finds every pair on the topic, so its two steps are full
        assertThat(step8.manifest().pairsTrained()).isEqualTo(step6.manifest().pairsTrained() + 8);

        // replay from the step-3 checkpoint and its own offsets into another directory, leaving the live group alone
        Path step3 = out.resolve("step-0000000003");
        Run replay = cli(concat(new String[]{"replay", "--model", model, "--checkpoint", step3.toString(),
                "--from-offsets", step3.resolve("manifest.json").toString(), "--out", tmp.resolve("replay").toString(), "--max-steps", "5"}, common));
        assertThat(replay.exit()).as(replay.err()).isZero();
        VerifiedCheckpoint replayed = CheckpointReader.newestGood(tmp.resolve("replay")).orElseThrow();
        assertThat(replayed.step()).isEqualTo(5);
        assertThat(replayed.manifest().parentVersion()).isEqualTo("step-0000000003");
        assertThat(replayed.manifest().pairsTrained())
                .isEqualTo(CheckpointReader.verify(step3).orThrow().manifest().pairsTrained() + 8);
        assertThat(Optional.ofNullable(latest.getStatusReason())).isPresent();
    }

    @Test
    void aSecondLineageUnderATakenNameIsRefusedBeforeAnythingStarts() throws Exception {
        new dev.prefstream.schemas.topics.TopicProvisioner(kafka.admin(), java.time.Duration.ofSeconds(30))
                .ensure(TopicLayout.topics(TopicLayout.DEFAULT_DATA_PARTITIONS));
        ModelCheckpoint theirs = ModelCheckpoint.newBuilder().setModelName("clash-model").setVersion("step-0000000003").setStep(3)
                .setPairsTrained(12).setOffsets(List.of()).setArtifactUri("file:/elsewhere/store/clash-model/step-0000000003")
                .setManifestSha256("0".repeat(64)).setStatus(CheckpointStatus.PROMOTED).setCreatedAt(Instant.now()).build();
        kafka.produce(TopicLayout.MODEL_REGISTRY, new StringSerializer(),
                AvroSerdes.specific(ModelCheckpoint.class, kafka.clientConfigWithRegistry(), false).serializer(), List.of(Map.entry("clash-model", theirs)));

        Path other = tmp.resolve("other-run");
        Run second = cli("train", "--model", "tiny", "--model-name", "clash-model", "--out", other.toString(), "--metrics-port", "-1",
                "--publish", "candidates", "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl());
        // announced "clash-model step-0000000001" again under the same registry key, wiping the first lineage's history
        assertThat(second.exit()).as(second.err()).isEqualTo(ExitCodes.USAGE);
        assertThat(second.err()).startsWith("prefstream train: model name 'clash-model' already has a lineage in the registry "
                        + "(1 version, newest step-0000000003 at file:/elsewhere/store/clash-model/step-0000000003)")
                .contains("--new-lineage to have it named clash-model-2").doesNotContain("\tat ");
        assertThat(other).doesNotExist();
        RegistryReader registry = RegistryReader.read(kafka.clientConfigWithRegistry(), TopicLayout.MODEL_REGISTRY);
        assertThat(registry.list(Optional.of("clash-model"))).singleElement().satisfies(r -> assertThat(r.getStep()).isEqualTo(3));
    }

    @Test
    void reprocessRerunsTheIngestRulesFromATimestampIntoANewPairsTopic() throws Exception {
        var serializer = AvroSerdes.specific(PreferenceEvent.class, kafka.clientConfigWithRegistry(), false).serializer();
        List<Map.Entry<String, PreferenceEvent>> old = new ArrayList<>();
        for (int i = 1000; i < 1010; i++) {
            old.add(Map.entry("ev-" + i, event(i)));
        }
        kafka.produce(TopicLayout.PREFERENCE_EVENTS, new StringSerializer(), serializer, old);
        Thread.sleep(20); // record timestamps are the producer's clock: the cut lies strictly between the two batches
        long cut = System.currentTimeMillis();
        Thread.sleep(20);
        List<Map.Entry<String, PreferenceEvent>> fresh = new ArrayList<>();
        for (int i = 2000; i < 2012; i++) {
            fresh.add(Map.entry("ev-" + i, event(i)));
        }
        kafka.produce(TopicLayout.PREFERENCE_EVENTS, new StringSerializer(), serializer, fresh);

        Path config = tmp.resolve("reprocess.properties");
        Files.writeString(config, "state.dir=" + tmp.resolve("streams") + "\n");
        Run run = cli("reprocess", "--from-timestamp", Long.toString(cut), "--to-topic", "pairs-reprocessed",
                "--bootstrap", kafka.bootstrapServers(), "--registry", kafka.registryUrl(), "--config", config.toString());
        assertThat(run.exit()).as(run.err()).isZero();

        var pairs = kafka.consume("pairs-reprocessed", 12, new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                AvroSerdes.specific(dev.prefstream.schemas.avro.PreferencePair.class, kafka.clientConfigWithRegistry(), false).deserializer());
        assertThat(pairs).hasSize(12);
        assertThat(pairs).allSatisfy(r -> assertThat(r.value().getEventIds()).singleElement().asString().startsWith("ev-20"));
        assertThat(kafka.admin().describeTopics(List.of("pairs-reprocessed")).allTopicNames().get().get("pairs-reprocessed").partitions()).hasSize(3);
    }

    private static String[] concat(String[] a, String[] b) {
        String[] out = new String[a.length + b.length];
        System.arraycopy(a, 0, out, 0, a.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
