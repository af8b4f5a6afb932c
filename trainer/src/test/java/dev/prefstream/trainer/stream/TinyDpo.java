package dev.prefstream.trainer.stream;

import ai.djl.Device;
import dev.prefstream.trainer.dpo.DpoConfig;
import dev.prefstream.trainer.dpo.LossType;
import dev.prefstream.trainer.dpo.TrainerConfig;

/** The real DPO trainer on the built-in tiny model, sized for quick CPU tests. */
final class TinyDpo {

    static final ModelSource MODEL = new ModelSource(null, "tiny", 42);

    private TinyDpo() {
    }

    static TrainerConfig config() {
        return TrainerConfig.builder().learningRate(1e-3).maxLength(96).maxPromptLength(48).dpo(DpoConfig.of(0.1, LossType.SIGMOID)).build();
    }

    static PairTrainerFactory factory(StreamingTrainerConfig streaming) {
        return DpoPairTrainer.factory(MODEL, config(), streaming, Device.cpu());
    }

    /** The same with rank-8 LoRA adapters (base frozen, reference = adapters off). */
    static PairTrainerFactory loraFactory(StreamingTrainerConfig streaming) {
        return DpoPairTrainer.factory(MODEL, config().toBuilder().lora(dev.prefstream.trainer.lora.LoraConfig.ofRank(8)).build(),
                streaming, Device.cpu());
    }

    /** As {@code prefstream replay --config} builds it: the {@code prefstream.dpo.*} keys applied to the checkpoint's config. */
    static PairTrainerFactory replayFactory(StreamingTrainerConfig streaming, java.util.Properties settings) {
        return DpoPairTrainer.replayFactory(MODEL, config(), streaming, Device.cpu(), saved -> DpoSettings.apply(saved, settings),
                dev.prefstream.trainer.dpo.RestoreOptions.OptimizerState.RESTORED);
    }
}
