package dev.prefstream.devstack.registry;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * HTTP basic authentication for the embedded registry, with two roles:
 * <ul>
 *   <li>{@code read}: every GET, and the POSTs that only ask (look up a schema in a subject, check compatibility),
 *       which is what a deserializer or a {@code use.latest.version} serializer needs;</li>
 *   <li>{@code admin}: also register, delete, and change config or mode (what auto-registering producers need).</li>
 * </ul>
 * The users file has one {@code user:role:password} per line ({@code #} comments and blank lines ignored); only
 * SHA-256 digests of the passwords are kept in memory and compared in constant time. Keeping the file readable
 * only by the registry's user is the operator's job; an unreadable or malformed file fails the start with the
 * line number, never the line (it holds a password).
 */
public final class RegistryAuth {

    /** What a user may do. */
    public enum Role {
        READ, ADMIN
    }

    private record User(byte[] passwordSha256, Role role) {
    }

    private final Map<String, User> users;

    private RegistryAuth(Map<String, User> users) {
        this.users = Map.copyOf(users);
    }

    /** Reads a users file ({@code user:role:password} per line). */
    public static RegistryAuth fromFile(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read registry users file " + file + ": " + e.getMessage(), e);
        }
        Map<String, User> users = new HashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String[] parts = line.split(":", 3);
            Role role = parts.length == 3 ? role(parts[1]) : null;
            if (parts.length != 3 || parts[0].isEmpty() || parts[2].isEmpty() || role == null) {
                // the line holds a password: name it by number only
                throw new IllegalArgumentException("registry users file " + file + " line " + (i + 1) + ": expected user:role:password with role read or admin");
            }
            users.put(parts[0], new User(sha256(parts[2]), role));
        }
        if (users.isEmpty()) {
            throw new IllegalArgumentException("registry users file " + file + " has no users");
        }
        return new RegistryAuth(users);
    }

    /** One user per role, for tests and for programs that hold the secrets elsewhere. */
    public static RegistryAuth of(Map<String, String> passwordsByUser, Map<String, Role> rolesByUser) {
        Map<String, User> users = new HashMap<>();
        passwordsByUser.forEach((u, p) -> users.put(u, new User(sha256(p), rolesByUser.getOrDefault(u, Role.READ))));
        return new RegistryAuth(users);
    }

    /** The role of the user an {@code Authorization} header proves, if it proves one. */
    Optional<Role> authenticate(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return Optional.empty();
        }
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
        int colon = decoded.indexOf(':');
        if (colon < 0) {
            return Optional.empty();
        }
        User user = users.get(decoded.substring(0, colon));
        byte[] given = sha256(decoded.substring(colon + 1));
        if (user == null) {
            MessageDigest.isEqual(given, given); // same work for unknown users
            return Optional.empty();
        }
        return MessageDigest.isEqual(user.passwordSha256(), given) ? Optional.of(user.role()) : Optional.empty();
    }

    /** Whether {@code method path} needs the admin role. */
    static boolean needsAdmin(String method, List<String> path) {
        return switch (method) {
            case "GET", "HEAD" -> false;
            // POST /subjects/{s} is a lookup and POST /compatibility/... a check; POST /subjects/{s}/versions registers
            case "POST" -> !(path.size() == 2 && path.get(0).equals("subjects")) && !(!path.isEmpty() && path.get(0).equals("compatibility"));
            default -> true;
        };
    }

    private static Role role(String text) {
        return switch (text.strip().toLowerCase(Locale.ROOT)) {
            case "read", "read-only", "readonly" -> Role.READ;
            case "admin" -> Role.ADMIN;
            default -> null;
        };
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }
}
