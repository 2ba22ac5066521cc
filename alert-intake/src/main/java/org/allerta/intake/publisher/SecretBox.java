package org.allerta.intake.publisher;

import jakarta.enterprise.context.ApplicationScoped;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Encrypts publishers' signing secrets at rest with AES-256-GCM under {@code ALLERTA_SECRETS_KEY} (base64, 32 bytes).
 * Without that key (development only) an ephemeral random key is used and a warning logged: secrets stored under
 * it cannot be read after a restart, and their publishers must rotate them.
 */
@ApplicationScoped
public class SecretBox {

    private static final Logger LOG = Logger.getLogger(SecretBox.class);
    private static final int IV_BYTES = 12;
    private static final int TAG_BITS = 128;
    private final SecureRandom random = new SecureRandom();
    private final SecretKeySpec key;

    SecretBox(@ConfigProperty(name = "allerta.secrets-key") Optional<String> configured) {
        byte[] bytes;
        if (configured.filter(k -> !k.isBlank()).isPresent()) {
            bytes = Base64.getDecoder().decode(configured.get().trim());
            if (bytes.length != 32) {
                throw new IllegalStateException("ALLERTA_SECRETS_KEY must be 32 bytes, base64-encoded");
            }
        } else {
            bytes = new byte[32];
            random.nextBytes(bytes);
            LOG.warn("ALLERTA_SECRETS_KEY is not set: signing secrets are encrypted with an ephemeral key and will"
                    + " not be readable after a restart");
        }
        this.key = new SecretKeySpec(bytes, "AES");
    }

    /** IV followed by ciphertext and tag. */
    public byte[] seal(String secret) {
        try {
            byte[] iv = new byte[IV_BYTES];
            random.nextBytes(iv);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
            byte[] sealed = cipher.doFinal(secret.getBytes(StandardCharsets.UTF_8));
            return ByteBuffer.allocate(IV_BYTES + sealed.length).put(iv).put(sealed).array();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("cannot encrypt a signing secret", e);
        }
    }

    /** The secret, or empty when it was sealed under another key. */
    public Optional<String> open(byte[] sealed) {
        try {
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, 0, IV_BYTES));
            return Optional.of(new String(cipher.doFinal(sealed, IV_BYTES, sealed.length - IV_BYTES),
                    StandardCharsets.UTF_8));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
