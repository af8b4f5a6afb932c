package dev.prefstream.devstack.registry;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * What every registry request passes before the handler: authentication and role (when a {@link RegistryAuth} is
 * configured: 401 without valid credentials, 403 for a read-only user asking to change something), then the body
 * size limit (413 when the declared or the actual body is larger; a declared size is refused before any byte is
 * read, an actual one after the rest of the body has been drained, within a budget, so its client reads the 413).
 * The body is read here, bounded, so the handler never reads an unbounded stream. Answers are Confluent's error
 * JSON. Nothing about the credentials is ever logged or echoed.
 */
final class RegistryHttpGuard extends Filter {

    /** The least an over-limit body is drained by before the 413 (see {@link #discard}), whatever the limit. */
    static final long MIN_DISCARD_BYTES = 1024 * 1024;

    private final long maxBodyBytes;
    private final Optional<RegistryAuth> auth;

    RegistryHttpGuard(long maxBodyBytes, Optional<RegistryAuth> auth) {
        this.maxBodyBytes = maxBodyBytes;
        this.auth = auth;
    }

    @Override
    public void doFilter(HttpExchange exchange, Chain chain) throws IOException {
        if (auth.isPresent()) {
            Optional<RegistryAuth.Role> role = auth.get().authenticate(exchange.getRequestHeaders().getFirst("Authorization"));
            if (role.isEmpty()) {
                exchange.getResponseHeaders().set("WWW-Authenticate", "Basic realm=\"prefstream schema registry\", charset=\"UTF-8\"");
                refuse(exchange, 401, 401, "Unauthorized: valid basic-auth credentials are required");
                return;
            }
            if (role.get() != RegistryAuth.Role.ADMIN
                    && RegistryAuth.needsAdmin(exchange.getRequestMethod(), RegistryHttpHandler.segments(exchange.getRequestURI().getRawPath()))) {
                refuse(exchange, 403, 403, "Forbidden: " + exchange.getRequestMethod() + " needs the admin role");
                return;
            }
        }
        String declared = exchange.getRequestHeaders().getFirst("Content-Length");
        if (declared != null) {
            long length;
            try {
                length = Long.parseLong(declared.trim());
            } catch (NumberFormatException e) {
                refuse(exchange, 400, 400, "Bad Request: Content-Length " + declared.trim() + " is not a number");
                return;
            }
            if (length > maxBodyBytes) {
                refuse(exchange, 413, 413, "Payload Too Large: " + length + " bytes, at most " + maxBodyBytes);
                return;
            }
        }
        byte[] body;
        boolean drained = true;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBodyBytes + 1));
            if (body.length > maxBodyBytes) {
                drained = discard(in, Math.max(maxBodyBytes, MIN_DISCARD_BYTES));
            }
        }
        if (body.length > maxBodyBytes) {
            refuse(exchange, 413, 413, "Payload Too Large: more than " + maxBodyBytes + " bytes"
                    + (drained ? "" : " (the rest was not read; the connection is closed)"));
            return;
        }
        exchange.setStreams(new ByteArrayInputStream(body), null);
        chain.doFilter(exchange);
    }

    /**
     * Reads and throws away what is left of an over-limit body (of unknown length: chunked), at most {@code budget}
     * bytes. Why: the client is still sending when the 413 is ready; if the server closes a socket whose receive
     * buffer still holds unread bytes, the kernel answers with a reset, and the client loses the 413 it has not read
     * yet ("header parser received no bytes"). Draining costs reading the bytes, never keeping them; a body beyond
     * the budget is cut off anyway (its client may then see a reset instead of the 413), and the request timeout
     * bounds how long a trickling client can keep this thread.
     *
     * @return whether the body ended within the budget
     */
    private static boolean discard(InputStream in, long budget) throws IOException {
        byte[] sink = new byte[64 * 1024];
        long left = budget;
        while (left > 0) {
            int n = in.read(sink, 0, (int) Math.min(sink.length, left));
            if (n < 0) {
                return true;
            }
            left -= n;
        }
        return in.read() < 0;
    }

    private static void refuse(HttpExchange exchange, int status, int errorCode, String message) throws IOException {
        byte[] bytes = ("{\"error_code\":" + errorCode + ",\"message\":\"" + message.replace("\\", "\\\\").replace("\"", "\\\"") + "\"}")
                .getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", RegistryHttpHandler.CONTENT_TYPE);
        exchange.getResponseHeaders().set("Connection", "close");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        exchange.close();
    }

    @Override
    public String description() {
        return "prefstream registry guard: basic auth and roles, body limit";
    }
}
