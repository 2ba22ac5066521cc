package org.allerta.sender.channel;

import java.time.Duration;

/** What a provider said about one attempt to deliver a job. */
public sealed interface Outcome {

    /**
     * Accepted by the provider; {@code providerMessageId} links its later delivery receipts. An id that could not be
     * stored or matched (longer than {@value #MAX_ID} characters, or with a control character) is not kept: the job
     * still counts as sent.
     */
    record Sent(String providerMessageId) implements Outcome {

        static final int MAX_ID = 200;

        public Sent {
            if (providerMessageId != null && (providerMessageId.isEmpty() || providerMessageId.length() > MAX_ID
                    || providerMessageId.chars().anyMatch(Character::isISOControl))) {
                providerMessageId = null;
            }
        }
    }

    /**
     * Not now (provider error, connection lost; or {@code throttled}: the provider asks to slow down, which says
     * nothing against the message and does not count as a failed attempt): try again, after {@code after} at the
     * earliest if the provider said.
     */
    record Retry(String reason, Duration after, boolean throttled) implements Outcome {

        public Retry(String reason, Duration after) {
            this(reason, after, false);
        }
    }

    /**
     * The message reached the provider, or may have, and no answer came (a submit_sm_resp or an HTTP status that
     * never arrived): it may have been accepted. Delivering at most once, the job is not sent again but fails as
     * {@code UNCERTAIN}; at least once, it is tried again like a {@link Retry}.
     */
    record Uncertain(String reason) implements Outcome {
    }

    /** Refused for good (bad recipient, rejected content). */
    record Failed(String reason) implements Outcome {
    }
}
