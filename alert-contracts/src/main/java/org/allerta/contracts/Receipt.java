package org.allerta.contracts;

import java.time.Instant;
import java.util.Objects;

/**
 * What happened to a job, on {@code notifications.receipts} (key = job id).
 *
 * @param jobId             the job
 * @param channel           its channel
 * @param eventId           its event, for NOTICE jobs
 * @param status            SENT, DELIVERED, FAILED or READ
 * @param reason            for FAILED: why ("EXPIRED", "REJECTED", "MAX_ATTEMPTS"...)
 * @param providerMessageId the provider's id for the message, if any
 * @param attempts          how many attempts were made
 * @param at                when
 */
public record Receipt(
        String jobId,
        Channel channel,
        String eventId,
        ReceiptStatus status,
        String reason,
        String providerMessageId,
        int attempts,
        Instant at) {

    public Receipt {
        Objects.requireNonNull(jobId, "jobId");
        Objects.requireNonNull(channel, "channel");
        Objects.requireNonNull(status, "status");
        if (status == ReceiptStatus.FAILED && reason == null) {
            throw new IllegalArgumentException("a FAILED receipt says why");
        }
    }
}
