package org.allerta.contracts.rules;

import java.time.Instant;
import java.util.Comparator;
import org.allerta.contracts.AlertEvent;

/**
 * Rule 6, order: revisions arriving out of order never undo a newer one. Newer means a later publisher
 * {@code sentAt} when both revisions carry one, and otherwise a higher revision number.
 */
public final class RevisionOrder {

    /** Orders revisions of one event from oldest to newest. */
    public static final Comparator<AlertEvent> OLDEST_FIRST = RevisionOrder::compare;

    private RevisionOrder() {
    }

    /** Negative when {@code a} is older than {@code b}, positive when newer, 0 when the same revision. */
    public static int compare(AlertEvent a, AlertEvent b) {
        int bySentAt = compareSentAt(a.sentAt(), b.sentAt());
        return bySentAt != 0 ? bySentAt : Long.compare(a.revision(), b.revision());
    }

    /** True when {@code candidate} is newer than {@code current} (or there is no current). */
    public static boolean isNewer(AlertEvent candidate, AlertEvent current) {
        return current == null || compare(candidate, current) > 0;
    }

    /**
     * True when a publisher's input sent at {@code candidateSentAt} is older than the latest accepted one of the
     * same event: intake refuses it as stale. Inputs without a sentAt are never stale by time.
     */
    public static boolean isStale(Instant candidateSentAt, Instant latestSentAt) {
        return compareSentAt(candidateSentAt, latestSentAt) < 0;
    }

    private static int compareSentAt(Instant a, Instant b) {
        return a == null || b == null ? 0 : a.compareTo(b);
    }
}
