package org.allerta.contracts.rules;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Objects;
import java.util.UUID;
import org.allerta.contracts.Change;
import org.allerta.contracts.Channel;

/**
 * Rule 6: every notice has one deterministic job id, a name-based UUID (version 5, SHA-1) of
 * (event, subscriber, change, the revision that caused it, channel) and, from a person's second stay inside the area
 * within one revision, the stay. A redelivered match therefore gives the same id, while a genuinely new notice
 * (someone who left the area and came back, at a later revision or within the same one) gets a new one.
 */
public final class JobIds {

    /** Allerta's namespace for name-based UUIDs. */
    public static final UUID NAMESPACE = UUID.fromString("6f1c8a52-3d7e-4b8e-9a57-0c2d1e4f5a6b");

    private JobIds() {
    }

    /** The id of the notice telling {@code subscriberId} about {@code change} of an event, on one channel. */
    public static String notice(String eventId, String subscriberId, Change change, long causingRevision,
                                Channel channel) {
        Objects.requireNonNull(eventId, "eventId");
        Objects.requireNonNull(subscriberId, "subscriberId");
        Objects.requireNonNull(change, "change");
        Objects.requireNonNull(channel, "channel");
        return nameUuid("notice\u0000" + eventId + "\u0000" + subscriberId + "\u0000" + change + "\u0000"
                + causingRevision + "\u0000" + channel).toString();
    }

    /**
     * The id of a notice of the {@code stay}-th stay of a person inside an event's area: someone who left and came
     * back within one revision hears AFFECTED again, and that notice and its NO_LONGER_AFFECTED need ids of their
     * own. The first stay's ids are {@link #notice(String, String, Change, long, Channel)}'s.
     */
    public static String notice(String eventId, String subscriberId, Change change, long causingRevision,
                                Channel channel, int stay) {
        String first = notice(eventId, subscriberId, change, causingRevision, channel);
        return stay <= 1 ? first : nameUuid("stay\u0000" + first + "\u0000" + stay).toString();
    }

    /** The id of the {@code attempt}-th verification code sent for one channel of a subscriber. */
    public static String verification(String subscriberId, String channelId, int attempt) {
        Objects.requireNonNull(subscriberId, "subscriberId");
        Objects.requireNonNull(channelId, "channelId");
        return nameUuid("verification\u0000" + subscriberId + "\u0000" + channelId + "\u0000" + attempt).toString();
    }

    static UUID nameUuid(String name) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(toBytes(NAMESPACE));
            byte[] hash = sha1.digest(name.getBytes(StandardCharsets.UTF_8));
            hash[6] = (byte) ((hash[6] & 0x0f) | 0x50);
            hash[8] = (byte) ((hash[8] & 0x3f) | 0x80);
            long msb = 0;
            long lsb = 0;
            for (int i = 0; i < 8; i++) {
                msb = (msb << 8) | (hash[i] & 0xff);
                lsb = (lsb << 8) | (hash[i + 8] & 0xff);
            }
            return new UUID(msb, lsb);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is required by the Java platform", e);
        }
    }

    private static byte[] toBytes(UUID uuid) {
        byte[] bytes = new byte[16];
        long msb = uuid.getMostSignificantBits();
        long lsb = uuid.getLeastSignificantBits();
        for (int i = 0; i < 8; i++) {
            bytes[i] = (byte) (msb >>> (56 - 8 * i));
            bytes[i + 8] = (byte) (lsb >>> (56 - 8 * i));
        }
        return bytes;
    }
}
