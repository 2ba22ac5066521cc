package org.allerta.sender.channel;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * {@code X-Allerta-Signature: t=<unix seconds>,sha256=<hex HMAC-SHA256 of "<t>.<body>">}, for webhooks out and
 * provider callbacks in. The time is signed with the body, so a recorded request cannot be replayed later than
 * {@link #TOLERANCE} after it was signed.
 */
public final class Signatures {

    public static final String HEADER = "X-Allerta-Signature";
    /** How far a signature's time may be from the receiver's clock, either way. */
    public static final Duration TOLERANCE = Duration.ofMinutes(5);

    private Signatures() {
    }

    /** The header value for {@code body} under {@code secret}, signed at {@code at}. */
    public static String sign(String secret, Instant at, byte[] body) {
        long t = at.getEpochSecond();
        return "t=" + t + ",sha256=" + HexFormat.of().formatHex(mac(secret, t, body));
    }

    /**
     * True when {@code header} is the signature of {@code body} under {@code secret} (compared in constant time)
     * and was made within {@link #TOLERANCE} of {@code now}.
     */
    public static boolean valid(String secret, byte[] body, String header, Instant now) {
        if (header == null || secret == null || secret.isEmpty()) {
            return false;
        }
        long t = -1;
        String hex = null;
        for (String part : header.strip().split(",")) {
            String item = part.strip();
            if (item.startsWith("t=") && item.length() <= 14) {
                try {
                    t = Long.parseLong(item.substring(2));
                } catch (NumberFormatException e) {
                    return false;
                }
            } else if (item.startsWith("sha256=")) {
                hex = item.substring(7);
            }
        }
        if (t < 0 || hex == null || Math.abs(now.getEpochSecond() - t) > TOLERANCE.toSeconds()) {
            return false;
        }
        return MessageDigest.isEqual(HexFormat.of().formatHex(mac(secret, t, body)).getBytes(StandardCharsets.US_ASCII),
                hex.getBytes(StandardCharsets.US_ASCII));
    }

    private static byte[] mac(String secret, long t, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((t + ".").getBytes(StandardCharsets.US_ASCII));
            return mac.doFinal(body);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is required by the Java platform", e);
        }
    }
}
