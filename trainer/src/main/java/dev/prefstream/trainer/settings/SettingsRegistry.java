package dev.prefstream.trainer.settings;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The one parser of prefstream's own settings: a list of {@link SettingKey}s (each declared by the config that owns
 * it) and the key prefixes ({@code scopes}) it answers for. {@link #read} refuses a key in its scopes that no
 * setting has, naming the nearest known key (a typo must not silently leave a default in force), reads a deprecated
 * name as its setting with an slf4j warning, refuses a setting given under two names, and parses every value with its
 * key's type. Keys outside the scopes (Kafka client settings, another module's section) are left alone.
 */
public final class SettingsRegistry {

    private static final Logger log = LoggerFactory.getLogger(SettingsRegistry.class);

    private final List<String> scopes;
    private final Map<String, SettingKey<?>> byName = new LinkedHashMap<>();
    private final Map<String, SettingKey<?>> byOldName = new LinkedHashMap<>();

    private SettingsRegistry(List<String> scopes, Collection<? extends SettingKey<?>> keys) {
        this.scopes = List.copyOf(scopes);
        for (SettingKey<?> k : keys) {
            if (scopes.stream().noneMatch(k.name()::startsWith)) {
                throw new IllegalArgumentException("setting " + k.name() + " is outside this registry's scopes " + scopes);
            }
            claim(k.name(), k);
            byName.put(k.name(), k);
            for (SettingKey.DeprecatedName old : k.deprecated()) {
                claim(old.name(), k);
                byOldName.put(old.name(), k);
            }
        }
    }

    private void claim(String name, SettingKey<?> k) {
        SettingKey<?> other = byName.containsKey(name) ? byName.get(name) : byOldName.get(name);
        if (other != null) {
            // one name, one meaning: a name can belong to one setting only, current or deprecated
            throw new IllegalArgumentException("setting name " + name + " is claimed by both " + other.name() + " and " + k.name());
        }
    }

    /** A registry of {@code keys} answering for the keys under {@code scopes} (e.g. {@code prefstream.trainer.}). */
    public static SettingsRegistry of(List<String> scopes, Collection<? extends SettingKey<?>> keys) {
        return new SettingsRegistry(scopes, keys);
    }

    /** This registry and {@code other} as one: both scopes, both key lists (a name claimed twice is an error). */
    public SettingsRegistry and(SettingsRegistry other) {
        List<String> s = new ArrayList<>(scopes);
        other.scopes.stream().filter(x -> !s.contains(x)).forEach(s::add);
        List<SettingKey<?>> k = new ArrayList<>(byName.values());
        k.addAll(other.byName.values());
        return new SettingsRegistry(s, k);
    }

    /** The same keys answering for {@code newScopes} instead (e.g. all of {@code prefstream.}). */
    public SettingsRegistry scopedTo(List<String> newScopes) {
        return new SettingsRegistry(newScopes, byName.values());
    }

    /** Every setting, in declaration order. */
    public List<SettingKey<?>> keys() {
        return List.copyOf(byName.values());
    }

    /** The prefixes this registry answers for. */
    public List<String> scopes() {
        return scopes;
    }

    /** The setting named {@code name} (current or deprecated name). */
    public Optional<SettingKey<?>> find(String name) {
        return Optional.ofNullable(byName.containsKey(name) ? byName.get(name) : byOldName.get(name));
    }

    /** Parses and checks the in-scope keys of {@code properties} (a properties file or a map; values via toString). */
    public Settings read(Map<?, ?> properties) {
        Map<String, String> in = new TreeMap<>();
        properties.forEach((k, v) -> {
            if (k != null && v != null) {
                in.put(String.valueOf(k).trim(), String.valueOf(v));
            }
        });
        check(in.keySet());
        Map<SettingKey<?>, Object> values = new LinkedHashMap<>();
        Map<SettingKey<?>, String> givenAs = new LinkedHashMap<>();
        in.forEach((name, text) -> {
            if (!inScope(name)) {
                return;
            }
            SettingKey<?> key = find(name).orElseThrow();
            String before = givenAs.putIfAbsent(key, name);
            if (before != null) {
                throw new SettingsException("setting " + key.name() + " is given twice, as '" + before + "' and as '" + name
                        + "'; keep only '" + key.name() + "'");
            }
            if (!name.equals(key.name())) {
                SettingKey.DeprecatedName old = key.deprecated().stream().filter(d -> d.name().equals(name)).findFirst().orElseThrow();
                log.warn("Setting '{}' is deprecated, use '{}' ({}); read as {}={}", name, key.name(), old.why(), key.name(), text.trim());
            }
            values.put(key, key.parse(text));
        });
        return new Settings(values);
    }

    /**
     * Refuses the first in-scope name of {@code names} that is no setting's (current or deprecated) name, naming the
     * nearest known key; logs nothing and parses nothing (for a check before the owners read the file).
     */
    public void check(Collection<String> names) {
        for (String name : new java.util.TreeSet<>(names)) {
            if (inScope(name) && find(name).isEmpty()) {
                throw new SettingsException("unknown setting '" + name + "'" + nearest(name).map(n -> "; did you mean '" + n + "'?").orElse("")
                        + " (prefstream's own keys are " + String.join(", ", sections().stream().map(s -> s + "*").toList())
                        + "; the README's Configuration reference lists them)");
            }
        }
    }

    /** The sections of the keys ({@code prefstream.trainer.}, ...), in declaration order. */
    public List<String> sections() {
        return byName.values().stream().map(SettingKey::section).distinct().toList();
    }

    private boolean inScope(String name) {
        return scopes.stream().anyMatch(name::startsWith);
    }

    /** The current name of the setting whose name (current or deprecated) is closest to {@code name} in edit distance. */
    public Optional<String> nearest(String name) {
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        List<String> candidates = new ArrayList<>(byName.keySet());
        candidates.addAll(byOldName.keySet());
        for (String c : candidates) {
            int d = editDistance(name, c);
            if (d < bestDistance) {
                bestDistance = d;
                best = c;
            }
        }
        return Optional.ofNullable(best).map(b -> find(b).orElseThrow().name());
    }

    /** Levenshtein distance (insertions, deletions, substitutions), two rows. */
    static int editDistance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    /**
     * The settings as a Markdown table (key, default, meaning), one per line; a deprecated name is listed with its
     * setting. The README's configuration reference is this text, so a test can hold the two together.
     */
    public String markdownTable() {
        StringBuilder sb = new StringBuilder("| key | default | meaning |\n|---|---|---|\n");
        for (SettingKey<?> k : byName.values()) {
            String meaning = k.doc().replace("|", "\\|");
            if (!k.deprecated().isEmpty()) {
                meaning += " (formerly " + String.join(", ", k.deprecated().stream().map(d -> "`" + d.name() + "`").toList())
                        + ", still read with a deprecation warning)";
            }
            // a value is code (`8`, `fp32`, `prefstream-trainer.<model>`); words (2 x rank) are prose
            String def = k.defaultText().replace("|", "\\|");
            def = !def.isEmpty() && !def.contains(" ") ? "`" + def + "`" : def;
            sb.append("| `").append(k.name()).append("` | ").append(def).append(" | ").append(meaning).append(" |\n");
        }
        return sb.toString();
    }
}
