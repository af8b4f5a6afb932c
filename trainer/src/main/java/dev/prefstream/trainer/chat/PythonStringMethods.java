package dev.prefstream.trainer.chat;

import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * The Python {@code str} methods that Hugging Face chat templates call on message contents and roles
 * ({@code content.strip()}, {@code role.startswith('tool')}, {@code name.split('/')[-1]}, {@code role.title()} ...),
 * resolved with Python's semantics ahead of Jinjava's Java-bean resolver, which would otherwise call the Java
 * method of the same name ({@code split} takes a regex there) or fail ({@code startswith}, {@code title}).
 * Only method calls on strings are handled; everything else falls through to the next resolver.
 */
final class PythonStringMethods extends ELResolver {

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] paramTypes, Object[] params) {
        if (!(base instanceof String s) || method == null) {
            return null;
        }
        Object[] p = params == null ? new Object[0] : params;
        Object result;
        try {
            result = call(s, method.toString(), p);
        } catch (IndexOutOfBoundsException | ClassCastException e) {
            throw new ChatTemplateException("str." + method + ": bad arguments " + java.util.Arrays.toString(p), e);
        }
        if (result != NOT_HANDLED) {
            context.setPropertyResolved(true);
            return result;
        }
        return null;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object call(String s, String name, Object[] p) {
        switch (name) {
            case "strip":
                return p.length == 0 || p[0] == null ? s.strip() : rstrip(lstrip(s, p[0].toString()), p[0].toString());
            case "lstrip":
                return p.length == 0 || p[0] == null ? s.stripLeading() : lstrip(s, p[0].toString());
            case "rstrip":
                return p.length == 0 || p[0] == null ? s.stripTrailing() : rstrip(s, p[0].toString());
            case "startswith":
                return matchesAny(p[0], s::startsWith);
            case "endswith":
                return matchesAny(p[0], s::endsWith);
            case "split":
                return split(s, p.length > 0 && p[0] != null ? p[0].toString() : null,
                        p.length > 1 ? ((Number) p[1]).intValue() : -1);
            case "upper":
                return s.toUpperCase(Locale.ROOT);
            case "lower":
                return s.toLowerCase(Locale.ROOT);
            case "title":
                return title(s);
            case "capitalize":
                return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace":
                return p.length > 2 ? replace(s, p[0].toString(), p[1].toString(), ((Number) p[2]).intValue())
                        : s.replace(p[0].toString(), p[1].toString());
            case "find":
                return (long) s.indexOf(p[0].toString());
            case "count":
                return (long) count(s, p[0].toString());
            case "join":
                return join(s, p[0]);
            case "isdigit":
                return !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace":
                return !s.isEmpty() && s.chars().allMatch(Character::isWhitespace);
            default:
                return NOT_HANDLED;
        }
    }

    private static boolean matchesAny(Object arg, java.util.function.Predicate<String> test) {
        if (arg instanceof Collection<?> c) {
            return c.stream().anyMatch(x -> test.test(String.valueOf(x)));
        }
        return test.test(String.valueOf(arg));
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && chars.indexOf(s.charAt(i)) >= 0) {
            i++;
        }
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int j = s.length();
        while (j > 0 && chars.indexOf(s.charAt(j - 1)) >= 0) {
            j--;
        }
        return s.substring(0, j);
    }

    /** Python's str.split: no separator = runs of whitespace, no empty parts; a separator = exact, empties kept. */
    static List<String> split(String s, String sep, int maxSplit) {
        List<String> out = new ArrayList<>();
        if (sep == null) {
            int i = 0;
            int n = s.length();
            while (true) {
                while (i < n && Character.isWhitespace(s.charAt(i))) {
                    i++;
                }
                if (i >= n) {
                    return out;
                }
                if (maxSplit >= 0 && out.size() == maxSplit) {
                    out.add(s.substring(i).stripTrailing());
                    return out;
                }
                int j = i;
                while (j < n && !Character.isWhitespace(s.charAt(j))) {
                    j++;
                }
                out.add(s.substring(i, j));
                i = j;
            }
        }
        if (sep.isEmpty()) {
            throw new ChatTemplateException("str.split: empty separator");
        }
        int from = 0;
        while (maxSplit < 0 || out.size() < maxSplit) {
            int at = s.indexOf(sep, from);
            if (at < 0) {
                break;
            }
            out.add(s.substring(from, at));
            from = at + sep.length();
        }
        out.add(s.substring(from));
        return out;
    }

    /** Python's str.title: a letter after a non-letter is upper-cased, every other letter lower-cased. */
    static String title(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        boolean previousCased = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            sb.append(previousCased ? Character.toLowerCase(c) : Character.toTitleCase(c));
            previousCased = Character.isLetter(c);
        }
        return sb.toString();
    }

    private static String replace(String s, String old, String with, int count) {
        if (count < 0) {
            return s.replace(old, with);
        }
        StringBuilder sb = new StringBuilder();
        int from = 0;
        for (int k = 0; k < count; k++) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            sb.append(s, from, at).append(with);
            from = at + old.length();
        }
        return sb.append(s.substring(from)).toString();
    }

    private static int count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.length() + 1;
        }
        int n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }

    private static String join(String sep, Object items) {
        List<String> parts = new ArrayList<>();
        if (items instanceof Iterable<?> it) {
            it.forEach(x -> parts.add(String.valueOf(x)));
        } else {
            parts.add(String.valueOf(items));
        }
        return String.join(sep, parts);
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // read-only: never resolves a property
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return Collections.emptyIterator();
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
