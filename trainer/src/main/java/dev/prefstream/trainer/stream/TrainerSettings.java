package dev.prefstream.trainer.stream;

import dev.prefstream.trainer.settings.SettingKey;
import dev.prefstream.trainer.settings.SettingsRegistry;

import java.util.ArrayList;
import java.util.List;

/**
 * The trainer's {@code --config} keys, {@code prefstream.trainer.*} and {@code prefstream.dpo.*}, as one registry:
 * the streaming service's ({@link StreamingTrainerConfig#KEYS}), the trainer core's hyperparameters
 * ({@link DpoSettings#KEYS}) and LoRA's ({@link LoraSettings#KEYS}). Each key is declared once by its owner; this
 * is the one parser all three read through, so a key unknown to all of them is refused (nearest key named) instead
 * of each owner skipping the others' keys.
 */
public final class TrainerSettings {

    /** Every trainer key, answering for {@code prefstream.trainer.} and {@code prefstream.dpo.}. */
    public static final SettingsRegistry REGISTRY = SettingsRegistry.of(List.of("prefstream.trainer.", "prefstream.dpo."), all());

    private TrainerSettings() {
    }

    private static List<SettingKey<?>> all() {
        List<SettingKey<?>> keys = new ArrayList<>(StreamingTrainerConfig.KEYS);
        keys.addAll(LoraSettings.KEYS);
        keys.addAll(DpoSettings.KEYS);
        return keys;
    }
}
