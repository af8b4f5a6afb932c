package dev.prefstream.cli;

import dev.prefstream.publisher.PublisherSettings;
import dev.prefstream.trainer.settings.Settings;
import dev.prefstream.trainer.settings.SettingsRegistry;
import dev.prefstream.trainer.stream.TrainerSettings;

import java.util.List;
import java.util.Map;

/**
 * Every {@code prefstream.*} key a command reads from {@code --config}: the trainer's ({@link TrainerSettings}) and the
 * publisher's ({@link PublisherSettings#REGISTRY}) as one registry answering for all of {@code prefstream.}, so a key
 * in a misspelt section ({@code prefstream.trainr.*}) is refused with the nearest known key, like a misspelt key.
 * The README's configuration reference is {@link #REGISTRY}'s table (ConfigurationReferenceTest holds them together).
 */
public final class PrefstreamSettings {

    /** All of prefstream's own keys. */
    public static final SettingsRegistry REGISTRY = TrainerSettings.REGISTRY.and(PublisherSettings.REGISTRY).scopedTo(List.of("prefstream."));

    private PrefstreamSettings() {
    }

    /** Reads (checks, parses, warns about deprecated names) the prefstream keys of {@code properties}. */
    public static Settings read(Map<?, ?> properties) {
        return REGISTRY.read(properties);
    }
}
