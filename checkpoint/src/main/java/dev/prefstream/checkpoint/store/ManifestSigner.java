package dev.prefstream.checkpoint.store;

import dev.prefstream.checkpoint.format.CheckpointException;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;

/**
 * HMAC-SHA256 signatures of checkpoint manifests, with a key that the publisher and the serving side hold and
 * nobody else. A manifest's SHA-256 only proves that a checkpoint is self-consistent and is the one a registry
 * record announced; whoever can write both the store and the registry topic can announce anything. With a signer,
 * the store writes {@code <model>/<version>.manifest.hmac} next to each checkpoint and refuses to fetch one whose
 * signature is missing or wrong, so serving loads only what a key holder published. JDK crypto only.
 */
public final class ManifestSigner {

    /** The signature file of a checkpoint directory, beside it in the store. */
    public static final String SUFFIX = ".manifest.hmac";
    private static final int MIN_KEY_BYTES = 32;

    private final byte[] key;

    private ManifestSigner(byte[] key) {
        if (key.length < MIN_KEY_BYTES) {
            throw new IllegalArgumentException("a manifest signing key needs at least " + MIN_KEY_BYTES + " bytes, got " + key.length);
        }
        this.key = key.clone();
    }

    /** The key is the file's bytes (e.g. {@code head -c 32 /dev/urandom > key}; at least 32 bytes). */
    public static ManifestSigner fromKeyFile(Path file) {
        try {
            return new ManifestSigner(Files.readAllBytes(file));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the manifest signing key " + file + ": " + e.getMessage(), e);
        }
    }

    /** A signer with the raw key bytes (at least 32; {@link #fromKeyFile} reads them from a file). */
    public static ManifestSigner of(byte[] key) {
        return new ManifestSigner(key);
    }

    /** Hex HMAC-SHA256 of {@code manifestBytes}. */
    public String sign(byte[] manifestBytes) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(manifestBytes));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** Throws unless {@code signatureFile} holds the signature of {@code manifestBytes} (compared in constant time). */
    void verify(byte[] manifestBytes, Path signatureFile, String what) {
        String stored;
        try {
            stored = Files.readString(signatureFile, StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            throw new CheckpointException("checkpoint " + what + " refused: no manifest signature (" + signatureFile.getFileName() + ")");
        }
        if (!MessageDigest.isEqual(stored.getBytes(StandardCharsets.US_ASCII), sign(manifestBytes).getBytes(StandardCharsets.US_ASCII))) {
            throw new CheckpointException("checkpoint " + what + " refused: its manifest signature does not match the signing key");
        }
    }
}
