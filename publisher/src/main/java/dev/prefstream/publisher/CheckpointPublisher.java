package dev.prefstream.publisher;

import dev.prefstream.checkpoint.format.VerifiedCheckpoint;
import dev.prefstream.checkpoint.registry.RegistryReader;
import dev.prefstream.checkpoint.store.CheckpointStore;
import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.schemas.avro.PreferencePair;
import dev.prefstream.trainer.stream.CheckpointListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * Publishes checkpoints: evaluate on the held-out pairs, gate, copy into the store, announce on model-registry.
 * Used in process as the trainer's {@link CheckpointListener} (default deployment), or by {@link PublisherService}
 * for candidates announced on the candidates topic.
 */
public final class CheckpointPublisher implements CheckpointListener, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CheckpointPublisher.class);

    private final HeldOutSet heldOut;
    private final CandidateEvaluator evaluator;
    private final PromotionGate gate;
    private final CheckpointStore store;
    private final RegistryPublisher registry;
    private final List<Consumer<PublishResult>> observers = new CopyOnWriteArrayList<>();
    /** What candidates are gated against (the best promoted so far, on the same held-out pairs). */
    private final PromotionBar bar;

    /**
     * @param promoted the model's best (or last) promoted checkpoint on the registry, if any: the first bar, scored
     *                 again on the current held-out pairs when its artifact is a readable local directory
     */
    public CheckpointPublisher(HeldOutSet heldOut, CandidateEvaluator evaluator, PromotionGate gate, CheckpointStore store,
                               RegistryPublisher registry, Optional<ModelCheckpoint> promoted) {
        this.heldOut = heldOut;
        this.evaluator = evaluator;
        this.gate = gate;
        this.store = store;
        this.registry = registry;
        this.bar = new PromotionBar(promoted.flatMap(p -> RegistryReader.accuracyOf(p).isPresent()
                ? Optional.of(new PromotionBar.Holder(p.getVersion(), localDir(p.getArtifactUri()), RegistryReader.accuracyOf(p).getAsDouble(), null))
                : Optional.empty()));
    }

    /** Adds an observer told about every publication (metrics, tests). */
    public void addObserver(Consumer<PublishResult> o) {
        observers.add(o);
    }

    @Override
    public void onCheckpoint(VerifiedCheckpoint checkpoint) {
        publish(checkpoint);
    }

    /**
     * Publishes the checkpoint a restarted trainer continues from unless the registry already has it or a newer
     * version of the model: a trainer killed between writing a checkpoint and announcing it would otherwise leave
     * that checkpoint (possibly its newest, if no more pairs arrive) unannounced for good. Costs one read of
     * model-registry per start.
     */
    @Override
    public void onResume(VerifiedCheckpoint cp) {
        String model = cp.manifest().modelName();
        if (registry.read().sameOrNewer(model, cp.version(), cp.manifest().step()).isEmpty()) {
            log.warn("{} {} was written but never announced (the trainer stopped before publishing it); publishing it now",
                    model, cp.version());
            publish(cp);
        }
    }

    /** Evaluates, gates, stores and announces one verified checkpoint. */
    public synchronized PublishResult publish(VerifiedCheckpoint cp) {
        List<PreferencePair> pairs = heldOut.refresh();
        List<String> sample = evaluator.sample(pairs).stream().map(PreferencePair::getPairId).toList();
        CandidateMetrics metrics = evaluator.evaluate(cp.dir(), pairs);
        GateDecision decision = gate.decide(metrics, bar.accuracyOn(sample, dir -> evaluator.evaluate(dir, pairs).accuracy()),
                bar.version().orElse(null));
        URI uri = store.put(cp);
        ModelCheckpoint record = RegistryRecords.of(cp, uri, decision.status(), decision.reason(), metrics.toMap());
        registry.publish(record);
        if (decision.status() == CheckpointStatus.PROMOTED) {
            bar.promoted(cp.version(), localDir(uri.toString()), metrics.accuracy(), sample);
        }
        log.info("{} {}: {} ({})", cp.manifest().modelName(), cp.version(), decision.status(), decision.reason());
        PublishResult result = new PublishResult(record, metrics, decision);
        for (Consumer<PublishResult> o : observers) {
            o.accept(result);
        }
        return result;
    }

    private static Path localDir(String uri) {
        try {
            URI u = URI.create(uri);
            return "file".equals(u.getScheme()) ? Path.of(u) : null;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public void close() {
        try {
            registry.close();
        } finally {
            try {
                evaluator.close();
            } finally {
                heldOut.close();
            }
        }
    }
}
