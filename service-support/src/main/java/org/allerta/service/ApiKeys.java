package org.allerta.service;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * API keys: 256-bit random values, shown once, stored and configured only as lower-case hex SHA-256 hashes, and
 * compared in constant time. Never log a key.
 */
public final class ApiKeys {

    private static final SecureRandom RANDOM = new SecureRandom();

    private ApiKeys() {
    }

    /** A new key: 32 random bytes, URL-safe base64 without padding (43 characters). */
    public static String newKey() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Lower-case hex SHA-256 of a key. */
    public static String sha256(String key) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(key.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    /** True when {@code presentedKey} hashes to {@code expectedSha256}; constant time in the hash comparison. */
    public static boolean matches(String presentedKey, String expectedSha256) {
        if (presentedKey == null || expectedSha256 == null || expectedSha256.isBlank()) {
            return false;
        }
        byte[] presented = sha256(presentedKey).getBytes(StandardCharsets.US_ASCII);
        byte[] expected = expectedSha256.trim().toLowerCase(java.util.Locale.ROOT).getBytes(StandardCharsets.US_ASCII);
        return MessageDigest.isEqual(presented, expected);
    }
}
