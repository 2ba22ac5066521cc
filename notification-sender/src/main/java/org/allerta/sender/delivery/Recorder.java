package org.allerta.sender.delivery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.allerta.contracts.NotificationJob;
import org.allerta.contracts.Receipt;
import org.allerta.contracts.Topics;
import org.allerta.service.Jdbc;
import org.allerta.service.outbox.Outbox;
import org.jboss.logging.Logger;

/**
 * Records the outcomes of jobs (the handled row and its receipt) with group commit: the outcomes that the sending
 * threads of every channel hand over while a transaction is under way go together in the next one. Each caller waits
 * until its own outcome is committed, so a caller's guarantees are those of a transaction of its own; the database
 * sees one transaction for a group instead of one per job.
 */
final class Recorder implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Recorder.class);

    /**
     * One job's outcome; {@code announced} when its attempt's announcement in {@code sending_job} leaves with it;
     * {@code urgent} when the job came from its channel's urgent topic.
     */
    record Outcome(NotificationJob job, Receipt receipt, boolean announced, boolean urgent) {

        Outcome(NotificationJob job, Receipt receipt, boolean announced) {
            this(job, receipt, announced, false);
        }

        /**
         * An urgent notice sent (or maybe sent: an attempt a stop interrupted, at most once) about a revision after
         * the first, which may have overtaken a notice of the bulk about an older revision ({@link Overtaking}).
         */
        boolean overtakes() {
            boolean out = receipt.status() == org.allerta.contracts.ReceiptStatus.SENT
                    || (receipt.status() == org.allerta.contracts.ReceiptStatus.FAILED
                        && Deliveries.UNCERTAIN.equals(receipt.reason()));
            return urgent && out && Overtaking.overtakes(job);
        }
    }

    private record Pending(Outcome outcome, CompletableFuture<Void> committed) {
    }

    private final Jdbc jdbc;
    private final Outbox outbox;
    private final Overtaking overtaking;
    private final int maxGroup;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final Thread thread;
    private volatile boolean closed;

    Recorder(Jdbc jdbc, Outbox outbox, int maxGroup) {
        this(jdbc, outbox, maxGroup, new Overtaking(jdbc, new SenderKey(jdbc)));
    }

    Recorder(Jdbc jdbc, Outbox outbox, int maxGroup, Overtaking overtaking) {
        this.jdbc = jdbc;
        this.outbox = outbox;
        this.overtaking = overtaking;
        this.maxGroup = Math.max(1, maxGroup);
        this.thread = new Thread(this::run, "allerta-send-recorder");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    /**
     * Commits {@code outcome} with whatever else is waiting, and returns once it is committed. A transaction that
     * fails fails every outcome of its group; each caller then does what it would have done with a transaction of
     * its own (retry, or leave the batch to be consumed again).
     */
    void record(Outcome outcome) throws InterruptedException {
        recordAll(List.of(outcome));
    }

    /** {@link #record} for several outcomes at once: queued together, so that they commit in as few groups. */
    void recordAll(List<Outcome> outcomes) throws InterruptedException {
        if (closed) {
            commit(outcomes);   // after the stop's drain: the caller's own transaction
            return;
        }
        var pendings = outcomes.stream().map(o -> new Pending(o, new CompletableFuture<Void>())).toList();
        queue.addAll(pendings);
        for (Pending pending : pendings) {
            await(pending);
        }
    }

    private void await(Pending pending) throws InterruptedException {
        Outcome outcome = pending.outcome();
        while (true) {
            try {
                pending.committed().get(200, TimeUnit.MILLISECONDS);
                return;
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (TimeoutException e) {
                if (!thread.isAlive() && queue.remove(pending)) {
                    commit(List.of(outcome));   // queued as the recorder stopped
                    return;
                }
            }
        }
    }

    private void run() {
        var group = new ArrayList<Pending>();
        while (!closed || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                group.add(first);
                queue.drainTo(group, maxGroup - 1);
                try {
                    commit(group.stream().map(Pending::outcome).toList());
                    group.forEach(p -> p.committed().complete(null));
                } catch (RuntimeException e) {
                    group.forEach(p -> p.committed().completeExceptionally(e));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Throwable e) {
                LOG.errorf(e, "recording outcomes failed");
                group.forEach(p -> p.committed().completeExceptionally(e));
            } finally {
                group.clear();
            }
        }
        Pending left;
        while ((left = queue.poll()) != null) {
            left.committed().completeExceptionally(new IllegalStateException("the sender is stopping"));
        }
    }

    /**
     * One transaction: the announcements leave, the handled rows are inserted, and a receipt is added for each row
     * really inserted (a job recorded before, by a concurrent redelivery, keeps its first receipt alone).
     */
    private void commit(List<Outcome> outcomes) {
        List<NotificationJob> overtakers = outcomes.stream().filter(Outcome::overtakes).map(Outcome::job).toList();
        jdbc.inTransaction(c -> {
            forget(c, outcomes.stream().filter(Outcome::announced).map(o -> o.job().jobId()).toList());
            Set<String> inserted = insert(c, outcomes);
            overtaking.record(c, overtakers);
            for (Outcome o : outcomes) {
                if (inserted.remove(o.job().jobId())) {
                    Receipt r = o.receipt();
                    outbox.add(c, Topics.NOTIFICATIONS_RECEIPTS, r.jobId(), r, r.jobId() + "/" + r.status(),
                            r.jobId());
                }
            }
            return null;
        });
        overtaking.remember(overtakers);
    }

    /** Removes the announcements of these jobs' attempts, in the caller's transaction. */
    static void forget(Connection c, List<String> jobIds) throws SQLException {
        if (jobIds.isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("DELETE FROM sending_job WHERE job_id = ANY (?)")) {
            s.setArray(1, c.createArrayOf("uuid", jobIds.stream().map(UUID::fromString).toArray()));
            s.executeUpdate();
        }
    }

    private static Set<String> insert(Connection c, List<Outcome> outcomes) throws SQLException {
        int n = outcomes.size();
        Object[] ids = new Object[n];
        String[] channels = new String[n];
        String[] events = new String[n];
        String[] statuses = new String[n];
        String[] reasons = new String[n];
        Integer[] attempts = new Integer[n];
        String[] providerIds = new String[n];
        for (int i = 0; i < n; i++) {
            Receipt r = outcomes.get(i).receipt();
            ids[i] = UUID.fromString(r.jobId());
            channels[i] = r.channel().name();
            events[i] = r.eventId();
            statuses[i] = r.status().name();
            reasons[i] = r.reason();
            attempts[i] = r.attempts();
            providerIds[i] = r.providerMessageId();
        }
        var inserted = new HashSet<String>();
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO handled_job (job_id, channel, event_id, outcome, reason, attempts, provider_message_id)
                SELECT * FROM unnest(?::uuid[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int[], ?::text[])
                ON CONFLICT (job_id) DO NOTHING
                RETURNING job_id""")) {
            s.setArray(1, c.createArrayOf("uuid", ids));
            s.setArray(2, c.createArrayOf("text", channels));
            s.setArray(3, c.createArrayOf("text", events));
            s.setArray(4, c.createArrayOf("text", statuses));
            s.setArray(5, c.createArrayOf("text", reasons));
            s.setArray(6, c.createArrayOf("int4", attempts));
            s.setArray(7, c.createArrayOf("text", providerIds));
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    inserted.add(rows.getString(1));
                }
            }
        }
        return inserted;
    }

    /** Commits what is queued, then records each later outcome in a transaction of its own. */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
