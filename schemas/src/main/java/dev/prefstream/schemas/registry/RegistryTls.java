package dev.prefstream.schemas.registry;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.Optional;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/** Builds the TLS context for an https registry from a truststore (which CAs to trust) and an optional keystore (client certificate for mutual TLS). */
public final class RegistryTls {

    /** A key or trust store on disk. */
    public record Store(Path location, char[] password, String type) {
    }

    private RegistryTls() {
    }

    /** A TLS context trusting {@code truststore} (JVM default CAs when empty) and presenting {@code keystore}'s key when given. */
    public static SSLContext sslContext(Optional<Store> truststore, Optional<Store> keystore, char[] keyPassword)
            throws IOException, GeneralSecurityException {
        TrustManagerFactory tmf = null;
        if (truststore.isPresent()) {
            tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(load(truststore.get()));
        }
        KeyManagerFactory kmf = null;
        if (keystore.isPresent()) {
            kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            char[] pw = keyPassword != null ? keyPassword : keystore.get().password();
            kmf.init(load(keystore.get()), pw);
        }
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(kmf == null ? null : kmf.getKeyManagers(), tmf == null ? null : tmf.getTrustManagers(), null);
        return context;
    }

    private static KeyStore load(Store store) throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance(store.type());
        try (InputStream in = Files.newInputStream(store.location())) {
            ks.load(in, store.password());
        }
        return ks;
    }
}
