package dev.prefstream.publisher;

import ai.djl.Device;
import dev.prefstream.schemas.TopicLayout;
import dev.prefstream.trainer.stream.HeldOutSplit;
import dev.prefstream.trainer.stream.ModelSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.OptionalDouble;

/** Assembles a {@link CheckpointPublisher} from settings (used by {@code prefstream train} and {@code prefstream publish}). */
public final class Publishers {

    private static final Logger log = LoggerFactory.getLogger(Publishers.class);

    private Publishers() {
    }

    /**
     * A publisher for {@code modelName} that evaluates against {@code initial} on held-out pairs of {@code pairsTopic},
     * stores under the settings' store dir and announces on model-registry; the gate starts from the accuracy of the
     * model's last promoted checkpoint on the registry, if any.
     */
    public static CheckpointPublisher create(Map<String, Object> kafka, String modelName, String pairsTopic, HeldOutSplit split,
                                             ModelSource initial, Device device, PublisherSettings settings) {
        OptionalDouble last = RegistryReader.read(kafka, TopicLayout.MODEL_REGISTRY).latestPromoted(modelName)
                .map(CheckpointPublisher::accuracyOf).orElse(OptionalDouble.empty());
        log.info("Publisher for {}: store {}, gate {}, last promoted accuracy {}", modelName, settings.storeDir(), settings.gate(),
                last.isPresent() ? last.getAsDouble() : "none");
        HeldOutSet heldOut = new HeldOutSet(kafka, pairsTopic, split, settings.heldOutCapacity());
        CandidateEvaluator evaluator;
        try {
            evaluator = new CandidateEvaluator(initial.load(device), settings.evaluation());
        } catch (RuntimeException e) {
            heldOut.close();
            throw e;
        }
        return new CheckpointPublisher(heldOut, evaluator, new PromotionGate(settings.gate()), new LocalDirectoryCheckpointStore(settings.storeDir()),
                new RegistryPublisher(kafka, TopicLayout.MODEL_REGISTRY), last);
    }
}
