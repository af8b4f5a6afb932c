package dev.prefstream.cli;

import ai.djl.Device;
import dev.prefstream.publisher.CheckpointPublisher;
import dev.prefstream.publisher.PublisherSettings;
import dev.prefstream.publisher.Publishers;
import dev.prefstream.trainer.dpo.Precision;
import dev.prefstream.trainer.dpo.TrainerConfig;
import dev.prefstream.trainer.settings.Settings;
import dev.prefstream.trainer.stream.DpoSettings;
import dev.prefstream.checkpoint.split.HeldOutSplit;
import dev.prefstream.trainer.stream.LoraSettings;
import dev.prefstream.trainer.stream.ModelSource;
import dev.prefstream.trainer.stream.StreamingTrainer;
import dev.prefstream.trainer.stream.StreamingTrainerConfig;

import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * How a training run is put together from its settings, the one place {@code train}, {@code replay},
 * {@code publish} and {@code demo} share: the streaming config (the keys' defaults, then the {@code --config}
 * settings, then the command's options), the trainer core's config (DPO and LoRA keys on top of a base, then the
 * command's LoRA, precision and gradient-checkpointing options), and the in-process publisher (its keys, the held-out
 * split of the streaming config). The demo writes its choices as the same keys instead of building these by hand.
 *
 * @param settings the {@code prefstream.*} settings ({@link PrefstreamSettings#read})
 */
public record TrainingAssembly(Settings settings) {

    /**
     * What a command's own options change in the trainer core's config; they win over the settings.
     *
     * @param precision             {@code --precision}, null = the settings' (else the base's)
     * @param gradientCheckpointing {@code --gradient-checkpointing} given (off leaves the settings' value)
     * @param lora                  the {@code --lora-*} options applied to a config ({@link UnaryOperator#identity} = none given)
     */
    public record CoreOptions(Precision precision, boolean gradientCheckpointing, UnaryOperator<TrainerConfig> lora) {

        /** No option given. */
        public static final CoreOptions NONE = new CoreOptions(null, false, UnaryOperator.identity());

        public CoreOptions {
            Objects.requireNonNull(lora, "lora");
        }
    }

    public TrainingAssembly {
        Objects.requireNonNull(settings, "settings");
    }

    /** The streaming config of {@code modelName} checkpointing under {@code checkpointsDir}: defaults, then the settings. */
    public StreamingTrainerConfig streaming(String modelName, Path checkpointsDir) {
        return StreamingTrainerConfig.defaults(modelName, checkpointsDir).withSettings(settings);
    }

    /**
     * The trainer core's config as a function of its base ({@link TrainerConfig#defaults()} for a fresh run, a
     * checkpoint's saved config on a replay): DPO and LoRA settings, then the command's options.
     */
    public UnaryOperator<TrainerConfig> core(CoreOptions options) {
        return base -> {
            TrainerConfig c = options.lora().apply(LoraSettings.apply(DpoSettings.apply(base, settings), settings));
            if (options.gradientCheckpointing()) {
                c = c.toBuilder().gradientCheckpointing(true).build();
            }
            return options.precision() == null ? c : c.toBuilder().precision(options.precision()).build();
        };
    }

    /** Whether the precision was chosen (by the settings or {@code options}), not just left at a checkpoint's. */
    public boolean choosesPrecision(CoreOptions options) {
        return options.precision() != null || settings.has(DpoSettings.PRECISION);
    }

    /** The trainer core's config of a fresh run (the core on {@link TrainerConfig#defaults()}). */
    public TrainerConfig freshCore(CoreOptions options) {
        return core(options).apply(TrainerConfig.defaults());
    }

    /** The publisher's settings: defaults with the store under {@code store}, then the settings. */
    public PublisherSettings publisherSettings(Path store) {
        return PublisherSettings.defaults(store).withSettings(settings);
    }

    /**
     * The publisher of {@code modelName}'s checkpoints: evaluates against {@code initial} on the held-out pairs of
     * {@code pairsTopic} as split by {@code streaming} (the trainer's split, so it never evaluates on trained pairs).
     */
    public CheckpointPublisher publisher(Map<String, Object> kafka, String modelName, String pairsTopic, StreamingTrainerConfig streaming,
                                         ModelSource initial, Device device, PublisherSettings publisherSettings) {
        return Publishers.create(kafka, modelName, pairsTopic, new HeldOutSplit(streaming.heldOutFraction(), streaming.heldOutSalt()),
                initial, device, publisherSettings);
    }

    /**
     * The in-process publisher of {@code trainer}'s checkpoints ({@code train --publish in-process}, the demo): as
     * {@link #publisher}, but reading the initial policy from the trainer's frozen reference while it has one, so
     * full fine-tuning holds two copies of the model instead of three; register it with
     * {@link StreamingTrainer#addListener}, which calls it on the training thread.
     */
    public CheckpointPublisher inProcessPublisher(Map<String, Object> kafka, StreamingTrainer trainer, StreamingTrainerConfig streaming,
                                                  ModelSource initial, Device device, PublisherSettings publisherSettings) {
        return Publishers.create(kafka, streaming.modelName(), streaming.inputTopic(),
                new HeldOutSplit(streaming.heldOutFraction(), streaming.heldOutSalt()), initial, device, publisherSettings,
                trainer::frozenInitialPolicy);
    }
}
