package org.allerta.contracts.rules;

import java.time.Instant;
import java.util.Optional;
import org.allerta.contracts.Severity;
import org.allerta.contracts.Urgency;

/**
 * Rule 7, quiet hours: ignored for severity EXTREME and for SEVERE with urgency IMMEDIATE; every other notice
 * waits until the quiet hours end (and is dropped if the event ends meanwhile and the person was never told: see
 * {@link NoticeRules}).
 */
public final class QuietHoursPolicy {

    private QuietHoursPolicy() {
    }

    /** True when a notice of this severity and urgency goes out even during quiet hours. */
    public static boolean bypasses(Severity severity, Urgency urgency) {
        return severity == Severity.EXTREME || (severity == Severity.SEVERE && urgency == Urgency.IMMEDIATE);
    }

    /**
     * When a notice decided at {@code now} may be sent: empty means now; otherwise the end of the quiet hours.
     *
     * @param quietHours the subscriber's quiet hours, or null when they have none
     */
    public static Optional<Instant> holdUntil(QuietHours quietHours, Severity severity, Urgency urgency, Instant now) {
        if (quietHours == null || bypasses(severity, urgency)) {
            return Optional.empty();
        }
        return quietHours.endAfter(now);
    }
}
