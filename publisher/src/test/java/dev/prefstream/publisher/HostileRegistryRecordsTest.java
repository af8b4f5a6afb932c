package dev.prefstream.publisher;

import dev.prefstream.checkpoint.follow.CheckpointFollower;
import dev.prefstream.checkpoint.follow.FollowedCheckpoint;
import dev.prefstream.checkpoint.format.CheckpointException;
import dev.prefstream.checkpoint.format.CheckpointLayout;
import dev.prefstream.checkpoint.format.CheckpointManifest;
import dev.prefstream.checkpoint.format.CheckpointReader;
import dev.prefstream.checkpoint.format.CheckpointWriter;
import dev.prefstream.checkpoint.format.PartitionOffset;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.checkpoint.registry.RegistryReader;
import dev.prefstream.checkpoint.store.LocalDirectoryCheckpointStore;
import dev.prefstream.checkpoint.store.ManifestSigner;
import dev.prefstream.devstack.testing.KafkaClusterExtension;
import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.registry.HttpSchemaRegistryClient;
import dev.prefstream.schemas.serde.AvroSerdes;
import dev.prefstream.schemas.testing.HostileRecords;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The model-registry topic and the store are inputs: hostile records (deeply nested, not Avro, pointing outside the
 * store, through {@code ..}, at symbolic links, older steps) are skipped, counted or refused, and the valid record
 * behind them is still followed.
 */
class HostileRegistryRecordsTest {

    @RegisterExtension
    static final KafkaClusterExtension kafka = new KafkaClusterExtension();

    @TempDir
    Path tmp;

    private VerifiedCheckpoint checkpoint(String model, long step) {
        CheckpointManifest draft = new CheckpointManifest(CheckpointManifest.FORMAT_VERSION, model, CheckpointLayout.versionFor(step), null, step, 0,
                "ref-0", step * 4, Instant.parse("2026-11-23T00:00:00Z"), Map.of("loss", 0.5), List.of(new PartitionOffset("preference-pairs", 0, step)),
                Map.of(), Map.of());
        return new CheckpointWriter(tmp.resolve("trainer-" + model), 10).write(draft, dir -> {
            Files.writeString(dir.resolve("config.json"), "{}");
            Files.write(dir.resolve("model.safetensors"), new byte[]{1, 2, 3, (byte) step});
        });
    }

    private static ModelCheckpoint promoted(VerifiedCheckpoint cp, URI uri) {
        return RegistryRecords.of(cp, uri, CheckpointStatus.PROMOTED, "test", Map.of());
    }

    @Test
    void theFollowerSkipsHostileRecordsRefusesPathsOutsideTheStoreAndOlderStepsAndFollowsTheValidOne() throws Exception {
        String topic = kafka.freshTopic("hostile-registry", 1);
        String model = "tiny";
        LocalDirectoryCheckpointStore store = new LocalDirectoryCheckpointStore(tmp.resolve("store"));
        VerifiedCheckpoint step3 = checkpoint(model, 3);
        VerifiedCheckpoint step6 = checkpoint(model, 6);
        VerifiedCheckpoint step9 = checkpoint(model, 9);
        URI uri3 = store.put(step3);
        URI uri6 = store.put(step6);
        // outside the store: the trainer's own (valid) checkpoint, directly and through ".."
        URI outside = step9.dir().toUri();
        URI dotDot = URI.create(uri3.toString().replace("/tiny/step-0000000003", "/tiny/../../trainer-tiny/step-0000000009"));
        // a checkpoint in the store whose weights are a symbolic link to a file elsewhere (its hashes match)
        VerifiedCheckpoint step12 = checkpoint(model, 12);
        URI uri12 = store.put(step12);
        Path linked = Path.of(uri12).resolve("model.safetensors");
        Path target = tmp.resolve("elsewhere.bin");
        Files.copy(linked, target);
        Files.delete(linked);
        Files.createSymbolicLink(linked, target);

        Map<String, Object> config = kafka.clientConfigWithRegistry();
        Serializer<ModelCheckpoint> values = AvroSerdes.specific(ModelCheckpoint.class, config, false).serializer();
        byte[] nested;
        try (HttpSchemaRegistryClient registry = HttpSchemaRegistryClient.forUrl(kafka.registryUrl())) {
            nested = HostileRecords.nested(registry, topic + "-value", promoted(step9, outside), 300_000);
        }
        List<Map.Entry<byte[], byte[]>> records = new ArrayList<>();
        records.add(Map.entry(model.getBytes(StandardCharsets.UTF_8), values.serialize(topic, promoted(step3, uri3))));
        records.add(Map.entry(model.getBytes(StandardCharsets.UTF_8), nested));
        records.add(Map.entry(model.getBytes(StandardCharsets.UTF_8), "{\"not\":\"avro\"}".getBytes(StandardCharsets.UTF_8)));
        records.add(Map.entry(model.getBytes(StandardCharsets.UTF_8), HostileRecords.withSchemaId(987_654)));
        records.add(Map.entry(model.getBytes(StandardCharsets.UTF_8), values.serialize(topic, ModelCheckpoint.newBuilder(promoted(step9, outside)).setStep(100).build())));
        records.add(Map.entry(model.getBytes(StandardCharsets.UTF_8), values.serialize(topic, ModelCheckpoint.newBuilder(promoted(step9, dotDot)).setStep(101).build())));
        records.add(Map.entry(model.getBytes(StandardCharsets.UTF_8), values.serialize(topic, ModelCheckpoint.newBuilder(promoted(step12, uri12)).setStep(102).build())));
        records.add(Map.entry(model.getBytes(StandardCharsets.UTF_8), values.serialize(topic, promoted(step6, uri6))));
        records.add(Map.entry(model.getBytes(StandardCharsets.UTF_8), values.serialize(topic, promoted(step3, uri3)))); // an old record replayed
        kafka.produceBytes(topic, records);

        LinkedBlockingQueue<FollowedCheckpoint> delivered = new LinkedBlockingQueue<>();
        try (CheckpointFollower follower = new CheckpointFollower(config, topic, model, store, tmp.resolve("cache"), delivered::add)) {
            follower.start();
            FollowedCheckpoint f = delivered.poll(60, TimeUnit.SECONDS);
            assertThat(f).isNotNull();
            assertThat(f.version()).isEqualTo("step-0000000006");
            assertThat(f.record().getStep()).isEqualTo(6);
            // nothing lost, nothing followed that should not be: 3 undecodable; step 6 and the replayed step 3 arrived
            // after higher steps (6 is still followed, because 100-102 were refused, 3 never)
            assertThat(follower.undecodableRecords()).isEqualTo(3);
            assertThat(follower.rollbacksRefused()).isEqualTo(2);
            assertThat(delivered.poll(2, TimeUnit.SECONDS)).isNull();
            assertThat(follower.current()).map(FollowedCheckpoint::version).contains("step-0000000006");
        }

        RegistryReader reader = RegistryReader.read(config, topic);
        assertThat(reader.undecodable()).isEqualTo(3);
        assertThat(reader.history()).extracting(ModelCheckpoint::getVersion)
                .containsExactly("step-0000000003", "step-0000000009", "step-0000000012", "step-0000000006");
        assertThat(reader.latestPromoted(model)).map(ModelCheckpoint::getStep).contains(3L);
    }

    @Test
    void aRollbackIsFollowedWhenTheOperatorAllowsIt() throws Exception {
        String topic = kafka.freshTopic("rollback-registry", 1);
        LocalDirectoryCheckpointStore store = new LocalDirectoryCheckpointStore(tmp.resolve("store"));
        VerifiedCheckpoint step3 = checkpoint("tiny", 3);
        VerifiedCheckpoint step6 = checkpoint("tiny", 6);
        URI uri3 = store.put(step3);
        URI uri6 = store.put(step6);
        Map<String, Object> config = kafka.clientConfigWithRegistry();
        Serializer<ModelCheckpoint> values = AvroSerdes.specific(ModelCheckpoint.class, config, false).serializer();
        kafka.produceBytes(topic, List.of(Map.entry("tiny".getBytes(), values.serialize(topic, promoted(step6, uri6))),
                Map.entry("tiny".getBytes(), values.serialize(topic, promoted(step3, uri3)))));

        LinkedBlockingQueue<FollowedCheckpoint> delivered = new LinkedBlockingQueue<>();
        try (CheckpointFollower follower = new CheckpointFollower(config, topic, "tiny", store, tmp.resolve("cache"), delivered::add).allowRollback()) {
            follower.start();
            FollowedCheckpoint f = delivered.poll(60, TimeUnit.SECONDS);
            assertThat(f).isNotNull();
            assertThat(f.version()).isEqualTo("step-0000000003");
            assertThat(follower.rollbacksRefused()).isZero();
        }
    }

    @Test
    void theStoreRefusesNamesThatAreNotOnePathSegmentAndDirectoriesOutsideItsRoot() throws Exception {
        LocalDirectoryCheckpointStore store = new LocalDirectoryCheckpointStore(tmp.resolve("store"));
        for (String bad : List.of("..", "../../etc", "a/b", ".hidden", "a\\b", "c:")) {
            VerifiedCheckpoint cp = checkpoint(bad.replace('/', '_').replace('\\', '_').replace(':', '_').replace('.', '_'), 3);
            CheckpointManifest m = cp.manifest();
            VerifiedCheckpoint renamed = new VerifiedCheckpoint(cp.dir(), new CheckpointManifest(m.formatVersion(), bad, m.version(), m.parentVersion(),
                    m.step(), m.iteration(), m.referenceVersion(), m.pairsTrained(), m.createdAt(), m.metrics(), m.offsets(), m.properties(), m.files()),
                    cp.manifestSha256());
            assertThatThrownBy(() -> store.put(renamed)).isInstanceOf(CheckpointException.class).hasMessageContaining("one plain path segment");
        }
        assertThat(tmp.resolve("store")).as("nothing written").doesNotExist();
        Files.createDirectories(tmp.resolve("store"));

        VerifiedCheckpoint outside = checkpoint("tiny", 3);
        assertThatThrownBy(() -> store.fetch(outside.dir().toUri(), outside.manifestSha256(), tmp))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("outside the store");
        // a symbolic link inside the root pointing out of it
        Files.createDirectories(tmp.resolve("store").resolve("tiny"));
        Path link = tmp.resolve("store").resolve("tiny").resolve("step-0000000003");
        Files.createSymbolicLink(link, outside.dir());
        assertThatThrownBy(() -> store.fetch(link.toUri(), outside.manifestSha256(), tmp))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("outside the store");
        assertThat(CheckpointReader.verify(outside.dir(), outside.manifestSha256()).isGood()).isTrue();
    }

    @Test
    void withASigningKeyTheStoreFetchesOnlyCheckpointsSignedWithIt() throws Exception {
        Path key = tmp.resolve("key");
        Files.write(key, "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        LocalDirectoryCheckpointStore signing = new LocalDirectoryCheckpointStore(tmp.resolve("store"), Optional.of(ManifestSigner.fromKeyFile(key)));
        LocalDirectoryCheckpointStore unsigned = new LocalDirectoryCheckpointStore(tmp.resolve("store"));
        LocalDirectoryCheckpointStore otherKey = new LocalDirectoryCheckpointStore(tmp.resolve("store"),
                Optional.of(ManifestSigner.of("another key of at least 32 bytes!".getBytes(StandardCharsets.US_ASCII))));

        VerifiedCheckpoint signed = checkpoint("tiny", 3);
        URI signedUri = signing.put(signed);
        assertThat(tmp.resolve("store").resolve("tiny").resolve("step-0000000003" + ManifestSigner.SUFFIX)).isRegularFile();
        assertThat(signing.fetch(signedUri, signed.manifestSha256(), tmp).manifestSha256()).isEqualTo(signed.manifestSha256());

        // someone who can write the store (and the registry) but has no key: an unsigned checkpoint is refused
        VerifiedCheckpoint forged = checkpoint("tiny", 6);
        URI forgedUri = unsigned.put(forged);
        assertThatThrownBy(() -> signing.fetch(forgedUri, forged.manifestSha256(), tmp))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("no manifest signature");
        assertThatThrownBy(() -> otherKey.fetch(signedUri, signed.manifestSha256(), tmp))
                .isInstanceOf(CheckpointException.class).hasMessageContaining("does not match the signing key");
        // a signature copied from another checkpoint does not fit
        Files.copy(tmp.resolve("store").resolve("tiny").resolve("step-0000000003" + ManifestSigner.SUFFIX),
                tmp.resolve("store").resolve("tiny").resolve("step-0000000006" + ManifestSigner.SUFFIX));
        assertThatThrownBy(() -> signing.fetch(forgedUri, forged.manifestSha256(), tmp)).hasMessageContaining("does not match");
        assertThatThrownBy(() -> ManifestSigner.of(new byte[8])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectionReasonsNameTheFileButNoHashOrContent() {
        String why = RejectionReasons.redact("has sha256 " + "ab".repeat(32) + " but the manifest says " + "cd".repeat(32));
        assertThat(why).doesNotContain("abab").doesNotContain("cdcd").contains("<hash>");
        assertThat(RejectionReasons.redact("is invalid: Unexpected character ('r' (code 114)): root:x:0:0")).isEqualTo("is invalid");
        assertThat(RejectionReasons.evaluationFailed(new IllegalStateException("secret content"))).doesNotContain("secret");
    }
}
