package org.allerta.contracts.rules;

import java.util.Set;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.Severity;

/**
 * Rule 7, interests: a subscriber hears about the kinds they follow, on the channels that serve that kind; the only
 * exception is CIVIL_PROTECTION with severity EXTREME, which reaches everyone on every verified channel.
 * Consent and channel verification are never bypassed (the dispatcher checks them separately).
 */
public final class Interests {

    private Interests() {
    }

    /** True when interests are ignored for this event: civil protection, extreme severity. */
    public static boolean overridden(EventKind kind, Severity severity) {
        return kind == EventKind.CIVIL_PROTECTION && severity == Severity.EXTREME;
    }

    /** True when a subscriber following {@code followed} is to hear about an event of this kind and severity. */
    public static boolean follows(Set<EventKind> followed, EventKind kind, Severity severity) {
        return overridden(kind, severity) || followed.contains(kind);
    }

    /**
     * True when a channel restricted to {@code channelKinds} (empty = every interest of its subscriber) carries a
     * notice of this kind and severity.
     */
    public static boolean channelServes(Set<EventKind> channelKinds, EventKind kind, Severity severity) {
        return overridden(kind, severity) || channelKinds.isEmpty() || channelKinds.contains(kind);
    }
}
