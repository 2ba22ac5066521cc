package org.allerta.sender.channel;

import java.time.Duration;

/** What a provider said about one attempt to deliver a job. */
public sealed interface Outcome {

    /** Accepted by the provider; {@code providerMessageId} links its later delivery receipts. */
    record Sent(String providerMessageId) implements Outcome {
    }

    /** Not now (throttled, provider error, connection lost): try again, after {@code after} if the provider said. */
    record Retry(String reason, Duration after) implements Outcome {
    }

    /** Refused for good (bad recipient, rejected content). */
    record Failed(String reason) implements Outcome {
    }
}
