package dev.prefstream.ingest.canonical;

import dev.prefstream.schemas.avro.ChatMessage;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * The content ids of ingest, all lowercase hex SHA-256 over canonical JSON of normalized text
 * ({@link TextNormalizer}):
 * <ul>
 *   <li>{@code prompt_id} = SHA-256 of {@code [{"content":c,"role":r},...]} over the prompt's messages in order,
 *       content normalized, role trimmed and lowercased; so the same conversation sent with different spacing by
 *       different events lands on the same key.</li>
 *   <li>{@code pair_id} = SHA-256 of {@code {"chosen":c,"prompt_id":p,"rejected":r}} with chosen/rejected normalized:
 *       the same judgement from any event or source has the same id, the opposite judgement a different one.</li>
 * </ul>
 */
public final class ContentHash {

    private ContentHash() {
    }

    /** The canonical JSON of a prompt, the input of its id. */
    public static String canonicalPrompt(List<ChatMessage> messages) {
        return canonicalPromptJson(messages).toString();
    }

    public static String promptId(List<ChatMessage> messages) {
        return canonicalPromptJson(messages).sha256Hex();
    }

    private static CanonicalJson canonicalPromptJson(List<ChatMessage> messages) {
        int expected = 2;
        for (ChatMessage m : messages) {
            expected += 32 + (m.getContent() == null ? 0 : m.getContent().length()) + (m.getRole() == null ? 0 : m.getRole().length());
        }
        CanonicalJson json = new CanonicalJson(expected).raw('[');
        for (int i = 0; i < messages.size(); i++) {
            ChatMessage m = messages.get(i);
            if (i > 0) {
                json.raw(',');
            }
            json.raw('{').key("content").string(TextNormalizer.normalize(m.getContent()))
                    .raw(',').key("role").string(normalizeRole(m.getRole())).raw('}');
        }
        return json.raw(']');
    }

    public static String pairId(String promptId, String chosen, String rejected) {
        return pairIdOfNormalized(promptId, TextNormalizer.normalize(chosen), TextNormalizer.normalize(rejected));
    }

    /** {@link #pairId} of texts already normalized with {@link TextNormalizer#normalize} (saves normalizing twice). */
    public static String pairIdOfNormalized(String promptId, String normalizedChosen, String normalizedRejected) {
        return new CanonicalJson(48 + promptId.length() + normalizedChosen.length() + normalizedRejected.length()).raw('{')
                .key("chosen").string(normalizedChosen).raw(',')
                .key("prompt_id").string(promptId).raw(',')
                .key("rejected").string(normalizedRejected).raw('}')
                .sha256Hex();
    }

    static String normalizeRole(String role) {
        return role == null ? "" : role.trim().toLowerCase(Locale.ROOT);
    }

    public static String sha256Hex(String text) {
        return hex(sha256(text.getBytes(StandardCharsets.UTF_8)));
    }

    public static byte[] sha256(byte[] bytes) {
        // digest() resets the instance, so one per thread is safe to reuse; MessageDigest.getInstance walks the
        // security providers on every call, which was ~3% of the stream thread's time at two or three hashes per event
        return SHA256.get().digest(bytes);
    }

    /** SHA-256 of {@code length} bytes of {@code bytes} from {@code offset}. */
    static byte[] sha256(byte[] bytes, int offset, int length) {
        MessageDigest digest = SHA256.get();
        digest.update(bytes, offset, length);
        return digest.digest();
    }

    static String hex(byte[] digest) {
        return HEX.formatHex(digest);
    }

    private static final HexFormat HEX = HexFormat.of();

    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM ships SHA-256", e);
        }
    });
}
