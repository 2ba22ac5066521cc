package org.allerta.sender.channel;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/** {@code X-Allerta-Signature: sha256=<hex HMAC-SHA256 of the body>}, for webhooks out and provider callbacks in. */
public final class Signatures {

    public static final String HEADER = "X-Allerta-Signature";

    private Signatures() {
    }

    /** The header value for {@code body} under {@code secret}. */
    public static String sign(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by the Java platform", e);
        }
    }

    /** True when {@code header} is the signature of {@code body} (compared in constant time). */
    public static boolean valid(String secret, byte[] body, String header) {
        if (header == null || secret == null || secret.isEmpty()) {
            return false;
        }
        return MessageDigest.isEqual(sign(secret, body).getBytes(StandardCharsets.UTF_8),
                header.strip().getBytes(StandardCharsets.UTF_8));
    }
}
