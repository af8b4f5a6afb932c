package dev.prefstream.publisher;

import ai.djl.Device;
import dev.prefstream.checkpoint.follow.CheckpointFollower;
import dev.prefstream.checkpoint.follow.FollowedCheckpoint;
import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.DurableFiles;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.checkpoint.registry.RegistryReader;
import dev.prefstream.checkpoint.split.HeldOutSplit;
import dev.prefstream.checkpoint.store.CheckpointStore;
import dev.prefstream.checkpoint.store.LocalDirectoryCheckpointStore;
import dev.prefstream.devstack.testing.KafkaClusterExtension;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.avro.ChatMessage;
import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.schemas.avro.FeedbackSource;
import dev.prefstream.schemas.avro.JudgementKind;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.schemas.serde.AvroSerdes;
import dev.prefstream.trainer.dpo.DpoConfig;
import dev.prefstream.trainer.dpo.DpoTrainer;
import dev.prefstream.trainer.dpo.LossType;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.dpo.TruncationMode;
import dev.prefstream.trainer.model.HfModelLoader;
import dev.prefstream.trainer.model.LoadedModel;
import dev.prefstream.trainer.stream.DpoPairTrainer;
import dev.prefstream.trainer.stream.ModelSource;
import dev.prefstream.trainer.stream.StreamingTrainer;
import dev.prefstream.trainer.stream.StreamingTrainerConfig;
import dev.prefstream.trainer.stream.TrainerMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** Pairs -> streaming DPO trainer (tiny model, CPU) -> evaluated, gated, stored -> model-registry -> follower -> loadable. */
class PublisherEndToEndTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension();

    static final ModelSource TINY = new ModelSource(null, "tiny", 42);

    @TempDir
    Path tmp;

    private String pairsTopic(int n) throws Exception {
        String topic = kafka.createTopic("pairs-" + UUID.randomUUID().toString().substring(0, 8), 3,
                Map.of("cleanup.policy", "delete", "retention.ms", "-1"));
        long base = System.currentTimeMillis() - 3_600_000L;
        try (KafkaProducer<String, PreferencePair> p = new KafkaProducer<>(kafka.clientConfig(), new StringSerializer(),
                AvroSerdes.specific(PreferencePair.class, kafka.clientConfigWithRegistry(), false).serializer())) {
            for (int i = 0; i < n; i++) {
                PreferencePair pair = PreferencePair.newBuilder().setPairId("e2e-" + i).setPromptId("p" + i)
                        .setPrompt(List.of(ChatMessage.newBuilder().setRole("user").setContent("Is " + i + " fine?").build()))
                        .setChosen("Yes, gladly: " + i).setRejected("no.").setScoreMargin(1).setWeight(1).setSource(FeedbackSource.HUMAN)
                        .setKind(JudgementKind.COMPARISON).setEventIds(List.of("ev" + i)).setCreatedAt(Instant.now()).build();
                p.send(new ProducerRecord<>(topic, i % 3, base + i, pair.getPairId(), pair)).get();
            }
        }
        return topic;
    }

    private StreamingTrainerConfig streaming(String topic, Path dir, String model) {
        return StreamingTrainerConfig.defaults(model, dir).with(b -> {
            b.inputTopic = topic;
            b.microBatchPairs = 4;
            b.checkpointEverySteps = 3;
            b.stopAtStep = 6;
            b.maxBatchWait = Duration.ofMinutes(5);
            b.heldOutFraction = 0.25;
            b.leaderElection = false;
        });
    }

    private StreamingTrainer trainer(StreamingTrainerConfig c) {
        TrainerConfig tc = TrainerConfig.builder().learningRate(2e-3).maxLength(96).maxPromptLength(48).dpo(DpoConfig.of(0.1, LossType.SIGMOID)).build();
        return new StreamingTrainer(c, kafka.clientConfigWithRegistry(), DpoPairTrainer.factory(TINY, tc, c, Device.cpu()),
                StreamingTrainer.resumeFromNewestCheckpoint(c), new TrainerMetrics(new SimpleMeterRegistry(), c.modelName(), System::currentTimeMillis),
                Clock.systemUTC());
    }

    private static final EvaluationConfig EVALUATION = new EvaluationConfig(0.1, 96, 48, TruncationMode.KEEP_END, 8, 64, 4, 1, 12, 7);

    private CheckpointPublisher publisher(String topic, StreamingTrainerConfig c, CheckpointStore store) {
        return publisher(topic, c, store, new CandidateEvaluator(TINY.load(Device.cpu()), EVALUATION));
    }

    private CheckpointPublisher publisher(String topic, StreamingTrainerConfig c, CheckpointStore store, CandidateEvaluator evaluator) {
        HeldOutSet heldOut = new HeldOutSet(kafka.clientConfigWithRegistry(), topic, new HeldOutSplit(c.heldOutFraction(), c.heldOutSalt()), 64);
        return new CheckpointPublisher(heldOut, evaluator, new PromotionGate(new GateConfig(0.5, 0.05, 100.0, 4)), store,
                new RegistryPublisher(kafka.clientConfigWithRegistry(), TopicLayout.MODEL_REGISTRY), Optional.empty());
    }

    @Test
    void inProcessPublisherPromotesAndTheFollowerHandsOutALoadableCheckpoint() throws Exception {
        String topic = pairsTopic(64);
        String model = "e2e-" + UUID.randomUUID().toString().substring(0, 6);
        StreamingTrainerConfig c = streaming(topic, tmp.resolve("trainer"), model);
        LocalDirectoryCheckpointStore store = new LocalDirectoryCheckpointStore(tmp.resolve("store"));
        List<PublishResult> results = new CopyOnWriteArrayList<>();
        try (CheckpointPublisher pub = publisher(topic, c, store)) {
            pub.addObserver(results::add);
            StreamingTrainer t = trainer(c);
            t.addListener(pub);
            assertThat(t.run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
        }
        assertThat(results).hasSize(2);
        PublishResult last = results.get(1);
        assertThat(last.metrics().heldOutPairs()).isBetween(8, 30);
        assertThat(last.metrics().accuracy()).isGreaterThanOrEqualTo(0.5);
        assertThat(last.metrics().rewardMargin()).isPositive();
        assertThat(last.metrics().kl()).isFinite();
        assertThat(last.decision().status()).as(last.decision().reason()).isEqualTo(CheckpointStatus.PROMOTED);

        RegistryReader registry = RegistryReader.read(kafka.clientConfigWithRegistry(), TopicLayout.MODEL_REGISTRY);
        List<ModelCheckpoint> history = registry.list(Optional.of(model));
        assertThat(history).extracting(ModelCheckpoint::getVersion).containsExactly("step-0000000003", "step-0000000006");
        ModelCheckpoint latest = registry.latestPromoted(model).orElseThrow();
        assertThat(latest.getVersion()).isEqualTo("step-0000000006");
        assertThat(latest.getStep()).isEqualTo(6);
        assertThat(latest.getPairsTrained()).isEqualTo(24);
        assertThat(latest.getParentVersion()).isEqualTo("step-0000000003");
        assertThat(latest.getOffsets()).hasSize(3);
        assertThat(latest.getMetrics()).containsKeys(CandidateMetrics.ACCURACY, CandidateMetrics.KL, "train/loss");
        assertThat(latest.getStatusReason()).isNotBlank();
        assertThat(latest.getManifestSha256()).isEqualTo(CheckpointReader.byVersion(tmp.resolve("trainer"), "step-0000000006").manifestSha256());

        LinkedBlockingQueue<FollowedCheckpoint> delivered = new LinkedBlockingQueue<>();
        try (CheckpointFollower follower = new CheckpointFollower(kafka.clientConfigWithRegistry(), TopicLayout.MODEL_REGISTRY, model, store,
                tmp.resolve("cache"), delivered::add)) {
            follower.start();
            FollowedCheckpoint f = delivered.poll(60, TimeUnit.SECONDS);
            assertThat(f).isNotNull();
            assertThat(f.version()).isEqualTo("step-0000000006");
            assertThat(f.path()).startsWith(tmp.resolve("store").toAbsolutePath());
            try (LoadedModel served = HfModelLoader.loadWithTokenizer(f.path(), Device.cpu());
                 DpoTrainer resumed = DpoTrainer.restore(f.path(), Device.cpu(), null)) {
                assertThat(served.model().config().modelType()).isEqualTo("llama");
                assertThat(resumed.step()).isEqualTo(6);
            }
        }
    }

    /**
     * The in-process publisher borrowing the trainer's frozen reference as its initial policy (what {@code train
     * --publish in-process} and the demo do with full fine-tuning) never loads a copy of its own, and publishes the
     * same metrics as a publisher with its own copy on the same, bit-exactly reproduced run.
     */
    @Test
    void inProcessPublisherBorrowingTheTrainersReferencePublishesTheSameMetricsWithoutItsOwnCopy() throws Exception {
        String topic = pairsTopic(64);
        List<List<CandidateMetrics>> runs = new ArrayList<>();
        for (boolean borrow : List.of(false, true)) {
            String model = (borrow ? "borrow-" : "own-") + UUID.randomUUID().toString().substring(0, 6);
            StreamingTrainerConfig c = streaming(topic, tmp.resolve(model), model);
            StreamingTrainer t = trainer(c);
            AtomicInteger loads = new AtomicInteger();
            InitialPolicy initial = borrow
                    ? InitialPolicy.borrowing(t::frozenInitialPolicy, () -> {
                        loads.incrementAndGet();
                        return TINY.load(Device.cpu());
                    })
                    : InitialPolicy.owned(TINY.load(Device.cpu()));
            List<PublishResult> results = new CopyOnWriteArrayList<>();
            try (CheckpointPublisher pub = publisher(topic, c, new LocalDirectoryCheckpointStore(tmp.resolve(model + "-store")),
                    new CandidateEvaluator(initial, EVALUATION, Device.cpu()))) {
                pub.addObserver(results::add);
                t.addListener(pub);
                assertThat(t.run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
                if (borrow) {
                    assertThat(loads).hasValue(0);
                    assertThat(initial.hasOwnCopy()).isFalse();
                    assertThat(initial.borrowedUses()).isPositive();
                }
            }
            assertThat(t.frozenInitialPolicy()).isEmpty();   // the term is over: nothing left to lend
            runs.add(results.stream().map(PublishResult::metrics).toList());
        }
        assertThat(runs.get(0)).hasSize(2);
        assertThat(runs.get(0).get(1).heldOutPairs()).isPositive();
        assertThat(runs.get(1)).isEqualTo(runs.get(0));
    }

    @Test
    void aCheckpointWrittenButNeverAnnouncedIsPublishedWhenTheTrainerResumesFromIt() throws Exception {
        String topic = pairsTopic(96); // ~72 trainable: 12 steps of 4 without waiting for a partial batch
        String model = "resume-" + UUID.randomUUID().toString().substring(0, 6);
        StreamingTrainerConfig c = streaming(topic, tmp.resolve("trainer"), model);
        LocalDirectoryCheckpointStore store = new LocalDirectoryCheckpointStore(tmp.resolve("store"));
        // a trainer that dies between writing a checkpoint and publishing it: checkpoints 3 and 6 on disk, none announced
        assertThat(trainer(c).run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);

        List<PublishResult> second = new CopyOnWriteArrayList<>();
        try (CheckpointPublisher pub = publisher(topic, c, store)) {
            pub.addObserver(second::add);
            StreamingTrainer t = trainer(c.with(b -> b.stopAtStep = 9));
            t.addListener(pub);
            assertThat(t.run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
        }
        // the resumed-from checkpoint 6 is caught up (checkpoint 3 is superseded by it), then 9 as usual
        assertThat(second).extracting(r -> r.record().getVersion()).containsExactly("step-0000000006", "step-0000000009");

        List<PublishResult> third = new CopyOnWriteArrayList<>();
        try (CheckpointPublisher pub = publisher(topic, c, store)) {
            pub.addObserver(third::add);
            StreamingTrainer t = trainer(c.with(b -> b.stopAtStep = 12));
            t.addListener(pub);
            assertThat(t.run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
        }
        // checkpoint 9 was announced already: not announced again on resume
        assertThat(third).extracting(r -> r.record().getVersion()).containsExactly("step-0000000012");
        List<ModelCheckpoint> history = RegistryReader.read(kafka.clientConfigWithRegistry(), TopicLayout.MODEL_REGISTRY).list(Optional.of(model));
        assertThat(history).extracting(ModelCheckpoint::getVersion).containsExactly("step-0000000006", "step-0000000009", "step-0000000012");
    }

    @Test
    void aCheckpointWrittenButNeverAnnouncedAsACandidateIsAnnouncedWhenTheTrainerResumesFromIt() throws Exception {
        String topic = pairsTopic(96);
        String model = "cand-resume-" + UUID.randomUUID().toString().substring(0, 6);
        String candidates = "model-candidates-" + UUID.randomUUID().toString().substring(0, 6);
        StreamingTrainerConfig c = streaming(topic, tmp.resolve("cand-trainer"), model);
        // a trainer that dies between writing checkpoints 3 and 6 and announcing them
        assertThat(trainer(c).run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
        for (int maxSteps : new int[] {9, 12}) {
            try (CandidateAnnouncer announcer = new CandidateAnnouncer(kafka.clientConfigWithRegistry(), candidates)) {
                StreamingTrainer t = trainer(c.with(b -> b.stopAtStep = maxSteps));
                t.addListener(announcer);
                assertThat(t.run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
            }
        }
        // 6 caught up on the first resume; 9 was announced already when the second run resumed from it
        List<ModelCheckpoint> announced = RegistryReader.read(kafka.clientConfigWithRegistry(), candidates).list(Optional.of(model));
        assertThat(announced).extracting(ModelCheckpoint::getVersion)
                .containsExactly("step-0000000006", "step-0000000009", "step-0000000012");
        assertThat(announced).extracting(ModelCheckpoint::getStatus).containsOnly(CheckpointStatus.CANDIDATE);
    }

    @Test
    void publisherServiceOnTheCandidatesTopicPublishesAndRejectsATamperedCandidate() throws Exception {
        String topic = pairsTopic(40);
        String model = "svc-" + UUID.randomUUID().toString().substring(0, 6);
        String candidates = "model-candidates-" + UUID.randomUUID().toString().substring(0, 6);
        StreamingTrainerConfig c = streaming(topic, tmp.resolve("trainer"), model).with(b -> b.stopAtStep = 3);
        LocalDirectoryCheckpointStore store = new LocalDirectoryCheckpointStore(tmp.resolve("store"));
        try (CandidateAnnouncer announcer = new CandidateAnnouncer(kafka.clientConfigWithRegistry(), candidates);
             CheckpointPublisher pub = publisher(topic, c, store);
             RegistryPublisher rejections = new RegistryPublisher(kafka.clientConfigWithRegistry(), TopicLayout.MODEL_REGISTRY)) {
            StreamingTrainer t = trainer(c);
            t.addListener(announcer);
            assertThat(t.run()).isEqualTo(StreamingTrainer.Outcome.FINISHED);
            VerifiedCheckpoint good = t.lastCheckpoint().orElseThrow();

            // a second candidate whose weights were damaged after the trainer announced it
            Path tamperedDir = tmp.resolve("tampered").resolve("step-0000000004");
            Files.createDirectories(tamperedDir.getParent());
            DurableFiles.copyTree(good.dir(), tamperedDir);
            Files.writeString(tamperedDir.resolve("manifest.json"), Files.readString(tamperedDir.resolve("manifest.json"))
                    .replace("step-0000000003", "step-0000000004"));
            VerifiedCheckpoint forged = CheckpointReader.verify(tamperedDir).orThrow();
            announcer.onCheckpoint(forged);
            byte[] w = Files.readAllBytes(tamperedDir.resolve("model.safetensors"));
            w[w.length - 1] ^= 1;
            Files.write(tamperedDir.resolve("model.safetensors"), w);

            PublisherService service = new PublisherService(kafka.clientConfigWithRegistry(), candidates, Optional.of(model), pub, rejections);
            CompletableFuture<Void> running = CompletableFuture.runAsync(service::run);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            List<ModelCheckpoint> history = List.of();
            while (System.nanoTime() < deadline && history.size() < 2) {
                Thread.sleep(500);
                history = RegistryReader.read(kafka.clientConfigWithRegistry(), TopicLayout.MODEL_REGISTRY).list(Optional.of(model));
            }
            service.stop();
            running.get(30, TimeUnit.SECONDS);

            assertThat(history).extracting(ModelCheckpoint::getVersion).containsExactly("step-0000000003", "step-0000000004");
            assertThat(history.get(0).getStatus()).isIn(CheckpointStatus.PROMOTED, CheckpointStatus.REJECTED);
            assertThat(history.get(0).getArtifactUri()).startsWith(tmp.resolve("store").toUri().toString());
            assertThat(history.get(1).getStatus()).isEqualTo(CheckpointStatus.REJECTED);
            assertThat(history.get(1).getStatusReason()).contains("model.safetensors").contains("verification");

            // each candidate arrives under two keys (model and model@version); it is decided once, not twice
            Map<String, Integer> verdicts = new java.util.TreeMap<>();
            Map<String, Object> raw = new java.util.HashMap<>(kafka.clientConfig());
            raw.put("group.id", "raw-" + UUID.randomUUID());
            raw.put("auto.offset.reset", "earliest");
            try (org.apache.kafka.clients.consumer.KafkaConsumer<String, byte[]> consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<>(
                    raw, new org.apache.kafka.common.serialization.StringDeserializer(),
                    new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
                consumer.subscribe(List.of(TopicLayout.MODEL_REGISTRY));
                int idle = 0;
                while (idle < 5) {
                    var records = consumer.poll(java.time.Duration.ofMillis(500));
                    idle = records.isEmpty() ? idle + 1 : 0;
                    records.forEach(r -> {
                        if (r.key() != null && r.key().startsWith(model + "@")) {
                            verdicts.merge(r.key(), 1, Integer::sum);
                        }
                    });
                }
            }
            assertThat(verdicts).containsEntry(model + "@step-0000000003", 1).containsEntry(model + "@step-0000000004", 1);
        }
    }
}
