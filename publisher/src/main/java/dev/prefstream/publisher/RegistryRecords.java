package dev.prefstream.publisher;

import dev.prefstream.checkpoint.format.CheckpointManifest;
import dev.prefstream.checkpoint.format.PartitionOffset;
import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.checkpoint.lora.BaseReference;
import dev.prefstream.checkpoint.lora.LoraCheckpointFiles;
import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.avro.TopicPartitionOffset;
import dev.prefstream.trainer.stream.DpoPairTrainer;

import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Builds {@link ModelCheckpoint} records from verified checkpoints. */
public final class RegistryRecords {

    private RegistryRecords() {
    }

    /**
     * The record announcing {@code cp}.
     *
     * @param artifact    where the checkpoint can be fetched
     * @param status      CANDIDATE, PROMOTED or REJECTED
     * @param reason      why (null for candidates)
     * @param evalMetrics evaluation metrics, merged over the manifest's training metrics
     */
    public static ModelCheckpoint of(VerifiedCheckpoint cp, URI artifact, CheckpointStatus status, String reason, Map<String, Double> evalMetrics) {
        CheckpointManifest m = cp.manifest();
        List<TopicPartitionOffset> offsets = new ArrayList<>();
        for (PartitionOffset o : m.offsets()) {
            offsets.add(TopicPartitionOffset.newBuilder().setTopic(o.topic()).setPartition(o.partition()).setOffset(o.nextOffset()).build());
        }
        Map<String, Double> metrics = new HashMap<>();
        m.metrics().forEach((k, v) -> {
            if (v != null && !v.isNaN()) {
                metrics.put("train/" + k, v);
            }
        });
        evalMetrics.forEach((k, v) -> {
            if (v != null && !v.isNaN()) {
                metrics.put(k, v);
            }
        });
        // a LoRA checkpoint names its frozen base (trainer-state/base.json, covered by the manifest's hashes)
        BaseReference base = LoraCheckpointFiles.isLora(cp.dir()) ? LoraCheckpointFiles.baseOf(cp.dir()) : null;
        return ModelCheckpoint.newBuilder()
                .setModelName(m.modelName())
                .setVersion(m.version())
                .setParentVersion(m.parentVersion())
                .setReferenceVersion(m.referenceVersion())
                .setIteration(m.iteration())
                .setStep(m.step())
                .setPairsTrained(m.pairsTrained())
                .setOffsets(offsets)
                .setArtifactUri(artifact.toString())
                .setManifestSha256(cp.manifestSha256())
                .setFormat(m.properties().getOrDefault(DpoPairTrainer.FORMAT, "hf-safetensors"))
                .setBaseUri(base == null ? null : base.dir().toUri().toString())
                .setBaseSha256(base == null ? null : base.sha256())
                .setMetrics(metrics)
                .setStatus(status)
                .setStatusReason(reason)
                .setCreatedAt(m.createdAt())
                .build();
    }

    /** Same record with another status, reason, artifact and metrics (for the publisher's verdict on a candidate). */
    public static ModelCheckpoint withVerdict(ModelCheckpoint r, CheckpointStatus status, String reason, URI artifact, Map<String, Double> extraMetrics) {
        Map<String, Double> metrics = new HashMap<>(r.getMetrics());
        extraMetrics.forEach((k, v) -> {
            if (v != null && !v.isNaN()) {
                metrics.put(k, v);
            }
        });
        return ModelCheckpoint.newBuilder(r).setStatus(status).setStatusReason(reason).setArtifactUri(artifact == null ? r.getArtifactUri() : artifact.toString())
                .setMetrics(metrics).build();
    }

    /** Time of the record as an Instant (created_at). */
    public static Instant createdAt(ModelCheckpoint r) {
        return r.getCreatedAt();
    }
}
