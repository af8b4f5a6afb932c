package dev.prefstream.trainer.settings;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The {@code prefstream.*} settings a file gave, parsed and checked by a {@link SettingsRegistry}: each under its
 * current key (a deprecated name already resolved), typed. Only given settings are here: a config applies them on top
 * of its base (the defaults, or a checkpoint's saved config on a replay), so what is not given keeps the base's value.
 */
public final class Settings {

    private static final Settings NONE = new Settings(Map.of());

    private final Map<SettingKey<?>, Object> values;

    Settings(Map<SettingKey<?>, Object> values) {
        this.values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    }

    /** No setting given. */
    public static Settings none() {
        return NONE;
    }

    /** The value given for {@code key}, if any. */
    @SuppressWarnings("unchecked")
    public <T> Optional<T> get(SettingKey<T> key) {
        return Optional.ofNullable((T) values.get(key));
    }

    /** The value given for {@code key}, else {@code base}. */
    public <T> T get(SettingKey<T> key, T base) {
        return get(key).orElse(base);
    }

    /** Whether {@code key} was given (under its name or a deprecated one). */
    public boolean has(SettingKey<?> key) {
        return values.containsKey(key);
    }

    /** Whether any of {@code keys} was given. */
    public boolean hasAny(Iterable<SettingKey<?>> keys) {
        for (SettingKey<?> k : keys) {
            if (has(k)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("Settings{");
        values.forEach((k, v) -> sb.append(sb.length() > 9 ? ", " : "").append(k.name()).append('=').append(v));
        return sb.append('}').toString();
    }
}
