package dev.prefstream.trainer.settings;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Function;

/**
 * One {@code prefstream.*} setting: its one name, what it means, its default and how its text becomes a value. Owned
 * by exactly one class (the config it feeds declares it as a constant) and listed in a {@link SettingsRegistry}, which
 * is the only parser of the {@code --config} file's prefstream keys and the source of the README's configuration
 * reference.
 *
 * @param name         the full key, e.g. {@code prefstream.trainer.micro-batch-pairs}
 * @param defaultValue the typed default (null where the default is not a constant, see {@code defaultText})
 * @param defaultText  the default as the reference documents it (the default's text unless given otherwise)
 * @param doc          what the setting means, in one line
 * @param parser       text to value; an IllegalArgumentException's message says what is wrong
 * @param deprecated   older names still accepted (with a warning) for this setting
 * @param <T>          the value type
 */
public record SettingKey<T>(String name, T defaultValue, String defaultText, String doc, Function<String, T> parser,
                            List<DeprecatedName> deprecated) {

    /**
     * An older name of a setting: still read, logged as deprecated.
     *
     * @param name the old full key
     * @param why  why it was renamed (what the old name wrongly suggested), shown in the warning
     */
    public record DeprecatedName(String name, String why) {
    }

    public SettingKey {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(doc, "doc");
        Objects.requireNonNull(parser, "parser");
        if (!name.startsWith("prefstream.") || !name.equals(name.toLowerCase(Locale.ROOT)) || name.contains(" ")) {
            throw new IllegalArgumentException("a setting is named prefstream.<section>.<kebab-case>, got '" + name + "'");
        }
        defaultText = defaultText != null ? defaultText : defaultValue == null ? "" : String.valueOf(defaultValue);
        deprecated = List.copyOf(deprecated);
    }

    /** A setting parsed by {@code parser}, defaulting to {@code defaultValue}. */
    public static <T> SettingKey<T> of(String name, Function<String, T> parser, T defaultValue, String doc) {
        return new SettingKey<>(name, defaultValue, null, doc, parser, List.of());
    }

    /** An int setting. */
    public static SettingKey<Integer> ofInt(String name, Integer defaultValue, String doc) {
        return of(name, v -> number(v, Integer::parseInt), defaultValue, doc);
    }

    /** A long setting. */
    public static SettingKey<Long> ofLong(String name, Long defaultValue, String doc) {
        return of(name, v -> number(v, Long::parseLong), defaultValue, doc);
    }

    /** A double setting. */
    public static SettingKey<Double> ofDouble(String name, Double defaultValue, String doc) {
        return of(name, v -> number(v, Double::parseDouble), defaultValue, doc);
    }

    /** A true/false setting (any case); anything else is an error, not a silent false. */
    public static SettingKey<Boolean> ofBoolean(String name, Boolean defaultValue, String doc) {
        return of(name, SettingKey::bool, defaultValue, doc);
    }

    /** A text setting (trimmed; may be empty). */
    public static SettingKey<String> ofString(String name, String defaultValue, String doc) {
        return of(name, v -> v, defaultValue, doc);
    }

    /** A comma-separated list, each item trimmed and parsed by {@code item}. */
    public static <E> SettingKey<List<E>> ofList(String name, Function<String, E> item, List<E> defaultValue, String doc) {
        return of(name, v -> {
            List<E> out = new ArrayList<>();
            for (String s : v.split(",")) {
                out.add(item.apply(s.trim()));
            }
            return List.copyOf(out);
        }, defaultValue, doc);
    }

    /** This key documenting its default as {@code text} (for defaults that are not constants, e.g. "2 x rank"). */
    public SettingKey<T> documentedDefault(String text) {
        return new SettingKey<>(name, defaultValue, text, doc, parser, deprecated);
    }

    /** This key also read under {@code oldName}, with a deprecation warning saying {@code why}. */
    public SettingKey<T> alsoReadAs(String oldName, String why) {
        List<DeprecatedName> names = new ArrayList<>(deprecated);
        names.add(new DeprecatedName(oldName, why));
        return new SettingKey<>(name, defaultValue, defaultText, doc, parser, names);
    }

    /** The section of the key: {@code prefstream.trainer.} for {@code prefstream.trainer.metrics-port}. */
    public String section() {
        return name.substring(0, name.indexOf('.', "prefstream.".length()) + 1);
    }

    /** {@code text} as this setting's value; a malformed value is an error naming the key and the text. */
    public T parse(String text) {
        String v = text.trim();
        try {
            return parser.apply(v);
        } catch (RuntimeException e) {
            throw new SettingsException("setting " + name + "=" + v + ": " + e.getMessage(), e);
        }
    }

    private static <N> N number(String v, Function<String, N> parse) {
        try {
            return parse.apply(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("is not a number");
        }
    }

    private static boolean bool(String v) {
        if (v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(v);
        }
        throw new IllegalArgumentException("must be true or false");
    }
}
