package org.allerta.contracts;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * One message to one recipient on one channel, on {@code notifications.jobs.<channel>}, or on
 * {@code notifications.jobs.<channel>.urgent} when it must not wait behind the bulk (key = subscriber id).
 * This record carries personal data by necessity (the recipient's address and the rendered text): its topics have a
 * short retention and only the senders read them.
 *
 * <p>{@code jobId} is deterministic ({@link org.allerta.contracts.rules.JobIds}): a redelivered or re-emitted job
 * has the same id, and the sender handles an id once.
 *
 * @param jobId        deterministic id
 * @param purpose      NOTICE or VERIFICATION
 * @param channel      the channel
 * @param eventId      the event (NOTICE only)
 * @param revision     the revision that caused the notice (NOTICE only)
 * @param change       the change notified (NOTICE only)
 * @param subscriberId the recipient's subscriber id
 * @param recipient    E.164 number, e-mail address, push token or chat id
 * @param language     language tag of the text ("it", "en")
 * @param subject      e-mail subject or push title
 * @param text         plain text (SMS, chat, push body, e-mail plain part)
 * @param html         e-mail HTML part
 * @param headers      extra protocol headers (e.g. List-Unsubscribe, List-Unsubscribe-Post)
 * @param link         tracked link included in the text
 * @param priority     prioritised recipient: sent first
 * @param expiresAt    not to be sent after this instant
 * @param createdAt    when the dispatcher made it
 */
public record NotificationJob(
        String jobId,
        JobPurpose purpose,
        Channel channel,
        String eventId,
        Long revision,
        Change change,
        String subscriberId,
        String recipient,
        String language,
        String subject,
        String text,
        String html,
        Map<String, String> headers,
        String link,
        boolean priority,
        Instant expiresAt,
        Instant createdAt) {

    public NotificationJob {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(purpose, "purpose");
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(subscriberId, "subscriberId");
        Objects.requireNonNull(recipient, "recipient");
        Objects.requireNonNull(text, "text");
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        if (purpose == JobPurpose.NOTICE && (eventId == null || revision == null || change == null)) {
            throw new IllegalArgumentException("a notice names its event, revision and change");
        }
    }
}
