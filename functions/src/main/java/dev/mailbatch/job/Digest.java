package dev.mailbatch.job;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 of a string's UTF-8 bytes, in hex: for fingerprints and keys that must not carry what they digest. */
public final class Digest {
    private Digest() {}

    /** The first {@code bytes} bytes of the digest (at most 32), as 2 × bytes hex digits. */
    public static String sha256Hex(String text, int bytes) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest, 0, Math.min(bytes, digest.length));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }
}
