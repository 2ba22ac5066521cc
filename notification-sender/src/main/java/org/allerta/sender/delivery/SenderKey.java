package org.allerta.sender.delivery;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.allerta.service.Jdbc;

/**
 * The sender's own key, generated on first use and kept in its schema ({@code service_key}): the tables that must
 * recognise a person (an urgent notice that overtook the bulk, an erased subscriber) store an HMAC-SHA256 of the
 * subscriber id under it, so that they name nobody to whoever knows a subscriber id.
 */
final class SenderKey {

    /** The row's name; the first table that needed the key gave it. */
    private static final String NAME = "urgent-notice";

    private final Jdbc jdbc;
    private volatile byte[] key;
    private final ThreadLocal<Mac> macs = ThreadLocal.withInitial(() -> {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key(), "HmacSHA256"));
            return mac;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    });

    SenderKey(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** HMAC-SHA256 of {@code text} under the key, in hex (as the tables receive it, through {@code decode}). */
    String digest(String text) {
        return HexFormat.of().formatHex(macs.get().doFinal(text.getBytes(StandardCharsets.UTF_8)));
    }

    private byte[] key() {
        byte[] k = key;
        if (k == null) {
            byte[] fresh = new byte[32];
            new SecureRandom().nextBytes(fresh);
            k = jdbc.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement("""
                        INSERT INTO service_key (name, secret) VALUES (?, ?) ON CONFLICT (name) DO NOTHING""")) {
                    s.setString(1, NAME);
                    s.setBytes(2, fresh);
                    s.executeUpdate();
                }
                try (PreparedStatement s = c.prepareStatement("SELECT secret FROM service_key WHERE name = ?")) {
                    s.setString(1, NAME);
                    try (ResultSet rows = s.executeQuery()) {
                        rows.next();
                        return rows.getBytes(1);
                    }
                }
            });
            key = k;
        }
        return k;
    }
}
