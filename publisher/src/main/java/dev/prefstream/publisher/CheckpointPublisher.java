package dev.prefstream.publisher;

import dev.prefstream.schemas.avro.CheckpointStatus;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.trainer.checkpoint.VerifiedCheckpoint;
import dev.prefstream.trainer.stream.CheckpointListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
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
    private OptionalDouble lastPromotedAccuracy;

    /**
     * @param lastPromotedAccuracy held-out accuracy of the model's last promoted checkpoint (from the registry), if any
     */
    public CheckpointPublisher(HeldOutSet heldOut, CandidateEvaluator evaluator, PromotionGate gate, CheckpointStore store,
                               RegistryPublisher registry, OptionalDouble lastPromotedAccuracy) {
        this.heldOut = heldOut;
        this.evaluator = evaluator;
        this.gate = gate;
        this.store = store;
        this.registry = registry;
        this.lastPromotedAccuracy = lastPromotedAccuracy;
    }

    /** Accuracy of the last promoted record, read from its metrics. */
    public static OptionalDouble accuracyOf(ModelCheckpoint promoted) {
        Double a = promoted.getMetrics().get(CandidateMetrics.ACCURACY);
        return a == null ? OptionalDouble.empty() : OptionalDouble.of(a);
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
        List<ModelCheckpoint> announced = registry.read().list(Optional.of(model));
        Optional<ModelCheckpoint> sameOrNewer = announced.stream()
                .filter(mc -> mc.getVersion().equals(cp.version()) || mc.getStep() >= cp.manifest().step())
                .findFirst();
        if (sameOrNewer.isPresent()) {
            log.debug("{} {} needs no catch-up: {} {} is on the registry", model, cp.version(), sameOrNewer.get().getVersion(),
                    sameOrNewer.get().getStatus());
            return;
        }
        log.warn("{} {} was written but never announced (the trainer stopped before publishing it); publishing it now", model, cp.version());
        publish(cp);
    }

    /** Evaluates, gates, stores and announces one verified checkpoint. */
    public synchronized PublishResult publish(VerifiedCheckpoint cp) {
        CandidateMetrics metrics = evaluator.evaluate(cp.dir(), heldOut.refresh());
        GateDecision decision = gate.decide(metrics, lastPromotedAccuracy);
        URI uri = store.put(cp);
        ModelCheckpoint record = RegistryRecords.of(cp, uri, decision.status(), decision.reason(), metrics.toMap());
        registry.publish(record);
        if (decision.status() == CheckpointStatus.PROMOTED) {
            lastPromotedAccuracy = OptionalDouble.of(metrics.accuracy());
        }
        log.info("{} {}: {} ({})", cp.manifest().modelName(), cp.version(), decision.status(), decision.reason());
        PublishResult result = new PublishResult(record, metrics, decision);
        for (Consumer<PublishResult> o : observers) {
            o.accept(result);
        }
        return result;
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
