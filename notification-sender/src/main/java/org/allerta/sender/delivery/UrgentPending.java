package org.allerta.sender.delivery;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import org.allerta.contracts.NotificationJob;

/**
 * The urgent jobs of a channel read and not finished, per person and event: a job of the bulk about the same event
 * and the same or a later revision waits for them, even while they wait out a backoff, so that one person's notices
 * of an event keep their order across the two topics (a RESOLVED on the bulk never overtakes its AFFECTED still being
 * retried on the urgent topic). A bulk job of another event, or about an earlier revision (which the urgent one
 * completes, ADR 5), does not wait: one person's urgent job refused for a while holds nothing else of the bulk.
 */
final class UrgentPending {

    private final Map<String, TreeMap<Long, Integer>> pending = new HashMap<>();

    private static String key(NotificationJob job) {
        return job.subscriberId() + "\u0000" + job.eventId();
    }

    private static long revision(NotificationJob job) {
        return job.revision() == null ? 0 : job.revision();
    }

    synchronized void add(NotificationJob job) {
        if (job.subscriberId() != null) {
            pending.computeIfAbsent(key(job), k -> new TreeMap<>()).merge(revision(job), 1, Integer::sum);
        }
    }

    synchronized void finish(NotificationJob job) {
        if (job.subscriberId() == null) {
            return;
        }
        TreeMap<Long, Integer> revisions = pending.get(key(job));
        if (revisions != null) {
            revisions.computeIfPresent(revision(job), (r, n) -> n > 1 ? n - 1 : null);
            if (revisions.isEmpty()) {
                pending.remove(key(job));
            }
        }
    }

    /** Whether this bulk job must wait: its person has an urgent job of its event, of its revision or earlier. */
    synchronized boolean holds(NotificationJob job) {
        if (job.subscriberId() == null || job.eventId() == null) {
            return false;
        }
        TreeMap<Long, Integer> revisions = pending.get(key(job));
        return revisions != null && revisions.firstKey() <= revision(job);
    }
}
