package dev.prefstream.publisher;

import ai.djl.Device;
import dev.prefstream.checkpoint.registry.RegistryReader;
import dev.prefstream.checkpoint.split.HeldOutSplit;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.schemas.avro.ModelCheckpoint;
import dev.prefstream.trainer.model.DecoderModel;
import dev.prefstream.trainer.stream.ModelSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/** Assembles a {@link CheckpointPublisher} from settings (used by {@code prefstream train} and {@code prefstream publish}). */
public final class Publishers {

    private static final Logger log = LoggerFactory.getLogger(Publishers.class);

    private Publishers() {
    }

    /**
     * A publisher for {@code modelName} that evaluates against {@code initial} on held-out pairs of {@code pairsTopic},
     * stores under the settings' store dir and announces on model-registry; the gate starts from the accuracy of the
     * model's best promoted checkpoint on the registry, if any.
     */
    public static CheckpointPublisher create(Map<String, Object> kafka, String modelName, String pairsTopic, HeldOutSplit split,
                                             ModelSource initial, Device device, PublisherSettings settings) {
        return create(kafka, modelName, pairsTopic, split, initial, device, settings, null);
    }

    /**
     * {@link #create} for a publisher in the trainer's process: the initial policy is read from {@code trainerLender}
     * (the trainer's frozen reference, see {@link InitialPolicy}) while it offers one, and loaded from {@code initial}
     * only when it does not. {@code null} = a publisher of its own, which loads the initial policy now.
     */
    public static CheckpointPublisher create(Map<String, Object> kafka, String modelName, String pairsTopic, HeldOutSplit split,
                                             ModelSource initial, Device device, PublisherSettings settings,
                                             Supplier<Optional<DecoderModel>> trainerLender) {
        Optional<ModelCheckpoint> best = RegistryReader.read(kafka, TopicLayout.MODEL_REGISTRY).bestPromoted(modelName);
        log.info("Publisher for {}: store {}, gate {}, bar {}", modelName, settings.storeDir(), settings.gate(),
                best.map(b -> b.getVersion() + " (accuracy " + RegistryReader.accuracyOf(b) + ")").orElse("none yet"));
        HeldOutSet heldOut = new HeldOutSet(kafka, pairsTopic, split, settings.heldOutCapacity());
        CandidateEvaluator evaluator;
        try {
            InitialPolicy policy = trainerLender == null
                    ? InitialPolicy.owned(initial.load(device))   // a load error shows at start, not at the first checkpoint
                    : InitialPolicy.borrowing(trainerLender, () -> initial.load(device));
            evaluator = new CandidateEvaluator(policy, settings.evaluation(), device).withInitialDir(initial.dir());
        } catch (RuntimeException e) {
            heldOut.close();
            throw e;
        }
        return new CheckpointPublisher(heldOut, evaluator, new PromotionGate(settings.gate()), settings.store(),
                new RegistryPublisher(kafka, TopicLayout.MODEL_REGISTRY), best);
    }
}
