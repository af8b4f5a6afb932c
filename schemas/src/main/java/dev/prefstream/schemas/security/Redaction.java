package dev.prefstream.schemas.security;

import java.util.regex.Pattern;

/**
 * Removes secrets from text that goes to logs, error messages and the console: the {@code user:password@} part of
 * URLs, and the values of {@code password=}, {@code basic.auth.user.info=}, {@code sasl.jaas.config=} style
 * settings (including the {@code password="..."} inside a JAAS line). Applied where prefstream itself prints a URL
 * or a configuration problem; Kafka's own clients already hide their password-typed settings.
 */
public final class Redaction {

    private static final Pattern URL_USER_INFO = Pattern.compile("(?i)\\b([a-z][a-z0-9+.-]*://)[^/@\\s\"']+@");
    private static final Pattern JAAS_PASSWORD = Pattern.compile("(?i)(password\\s*=\\s*)(\"[^\"]*\"|'[^']*'|[^\\s;,]+)");
    private static final Pattern SECRET_SETTING = Pattern.compile(
            "(?i)((?:basic\\.auth\\.user\\.info|sasl\\.jaas\\.config|[a-z.]*password|[a-z.]*secret|[a-z.]*token)\\s*[=:]\\s*)(\"[^\"]*\"|[^\\s,}\\]]+)");

    private Redaction() {
    }

    /** {@code text} with URL credentials, JAAS passwords and secret settings replaced by {@code ***}. */
    public static String text(String text) {
        if (text == null) {
            return null;
        }
        String out = URL_USER_INFO.matcher(text).replaceAll("$1***@");
        out = JAAS_PASSWORD.matcher(out).replaceAll("$1***");
        return SECRET_SETTING.matcher(out).replaceAll("$1***");
    }
}
