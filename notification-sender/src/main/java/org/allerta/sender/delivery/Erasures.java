package org.allerta.sender.delivery;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.Json;
import org.allerta.contracts.NotificationJob;
import org.allerta.contracts.SubscriberErased;
import org.allerta.contracts.Topics;
import org.allerta.service.BrokerProbe;
import org.allerta.service.ConsumerLoop;
import org.allerta.service.Jdbc;
import org.allerta.service.RecordProducer;
import org.allerta.service.problem.Problem;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.jboss.logging.Logger;

/**
 * The subscribers erased from the registry, read from {@code subscribers.erased}: a job of theirs still queued on a
 * job topic is not sent (it fails as {@link #ERASED}). The same topic names a channel removed from a person (its
 * address replaced, the channel dropped or unsubscribed): the jobs of that channel type made before its removal are
 * not sent either ({@link #CHANNEL_REMOVED}), those of a channel registered since are. Each is stored in
 * {@code erased_subscriber} under a keyed digest of the subscriber id, so that every instance of the sender sees it
 * whichever instance read it. A
 * batch of jobs is looked up when it is read, and a job again just before its send when it waited for the limits;
 * whether the table holds anything at all is asked at most once a second, so that the jobs cost no query while no
 * one was erased in the last two days.
 *
 * <p>At start, no job is sent before the erasures already on the topic have been read: a sender that was away while
 * someone was erased does not send that person's queued jobs on its return.
 */
final class Erasures implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(Erasures.class);

    /** The failure reason of a job withdrawn because its person was erased. */
    static final String ERASED = "ERASED";
    /** The failure reason of a job withdrawn because its channel was removed from its person before it was sent. */
    static final String CHANNEL_REMOVED = "CHANNEL_REMOVED";

    /** How long the answer to "is the table empty?" is used before it is asked again (another instance may write). */
    private static final long EMPTY_CHECK_NANOS = 1_000_000_000L;
    /** How often the start's catch-up is asked of the broker, at most. */
    private static final long CATCH_UP_CHECK_NANOS = 250_000_000L;

    private final Jdbc jdbc;
    private final SenderKey key;
    private ConsumerLoop loop;
    private BrokerProbe broker;
    private String group;
    private Admin admin;
    private volatile boolean caughtUp;
    private long catchUpCheckedAt = System.nanoTime() - CATCH_UP_CHECK_NANOS;
    /** The latest erasure in the table, in microseconds since the epoch (0: none), as last read. */
    private volatile long latest = -1;
    /** When this instance last saw {@link #latest} change, or stored an erasure ({@link System#nanoTime()}). */
    private volatile long changedAt = System.nanoTime() - Duration.ofDays(1).toNanos();
    private volatile long latestCheckedAt = System.nanoTime() - EMPTY_CHECK_NANOS;

    Erasures(Jdbc jdbc, SenderKey key) {
        this.jdbc = jdbc;
        this.key = key;
    }

    /** Starts reading {@code subscribers.erased} as consumer group {@code <group>-erased}. */
    void start(BrokerProbe broker, RecordProducer producer, String group) {
        this.broker = broker;
        this.group = group + "-erased";
        loop = ConsumerLoop.startBatches("erasures", broker, this.group, List.of(Topics.SUBSCRIBERS_ERASED),
                producer, 500, batch -> store(batch, producer));
    }

    /** Stores a batch of erasures; a record that is not one is dead-lettered with the reason. */
    private void store(List<ConsumerRecord<String, byte[]>> batch, RecordProducer producer) {
        // per digest and channel ('' for the whole person), the latest removal of the batch
        var erasures = new LinkedHashMap<List<String>, java.time.Instant>();
        var letters = new LinkedHashMap<ConsumerRecord<String, byte[]>, List<DeadLetter.Problem>>();
        for (ConsumerRecord<String, byte[]> record : batch) {
            try {
                SubscriberErased erased = Json.fromBytes(record.value() == null ? new byte[0] : record.value(),
                        SubscriberErased.class);
                erasures.merge(List.of(key.digest(erased.subscriberId()),
                        erased.channel() == null ? "" : erased.channel().name()), erased.erasedAt(),
                        (a, b) -> a.isAfter(b) ? a : b);
            } catch (IllegalArgumentException | NullPointerException e) {
                letters.put(record, List.of(new DeadLetter.Problem(Problem.TYPE_PREFIX + "invalid-record", "value",
                        String.valueOf(e.getMessage()))));
            }
        }
        if (!erasures.isEmpty()) {
            jdbc.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement("""
                        INSERT INTO erased_subscriber (subscriber, channel, before)
                        SELECT decode(d, 'hex'), ch, CASE WHEN ch = '' THEN NULL ELSE t END
                        FROM unnest(?::text[], ?::text[], ?::timestamptz[]) AS u(d, ch, t)
                        ORDER BY 1, 2
                        ON CONFLICT (subscriber, channel) DO UPDATE SET erased_at = now(),
                            before = greatest(erased_subscriber.before, excluded.before)""")) {
                    s.setArray(1, c.createArrayOf("text", erasures.keySet().stream().map(k -> k.get(0)).toArray()));
                    s.setArray(2, c.createArrayOf("text", erasures.keySet().stream().map(k -> k.get(1)).toArray()));
                    s.setArray(3, c.createArrayOf("timestamptz", erasures.values().stream()
                            .map(java.sql.Timestamp::from).toArray()));
                    s.executeUpdate();
                }
                return null;
            });
            changedAt = System.nanoTime();
            latestCheckedAt = changedAt - EMPTY_CHECK_NANOS;   // read again at the next question
            long people = erasures.keySet().stream().filter(k -> k.get(1).isEmpty()).count();
            LOG.infof("%d erased subscribers, %d channels removed: their queued jobs are withdrawn", people,
                    erasures.size() - people);
        }
        producer.deadLetters(letters);
    }

    /**
     * True once the erasures on the topic when the sender started have been read (then for good): until then no job
     * is sent. Asked of the broker at most four times a second; false while it does not answer.
     */
    boolean caughtUp() {
        if (caughtUp) {
            return true;
        }
        synchronized (this) {
            long now = System.nanoTime();
            if (caughtUp || now - catchUpCheckedAt < CATCH_UP_CHECK_NANOS || broker == null) {
                return caughtUp;
            }
            catchUpCheckedAt = now;
            try {
                if (admin == null) {
                    var props = new Properties();
                    props.putAll(broker.clientConfig());
                    admin = Admin.create(props);
                }
                caughtUp = readToEnd(admin, Topics.SUBSCRIBERS_ERASED, group);
                if (caughtUp) {
                    // asked once per start: the client is not needed any more
                    admin.close(Duration.ofSeconds(2));
                    admin = null;
                }
            } catch (Exception e) {
                LOG.debugf("erasures: catch-up not known yet: %s", e.getMessage());
            }
            return caughtUp;
        }
    }

    /**
     * Whether {@code group}'s committed position is at the end of every partition of {@code topic} that holds records.
     * A topic that does not exist (provisioned by a platform team that has not created it yet) has nothing to read:
     * the notices go out, and the gap is logged, since an alerting system does not stop for a missing side topic.
     */
    static boolean readToEnd(Admin admin, String topic, String group) throws Exception {
        List<TopicPartition> partitions;
        try {
            partitions = admin.describeTopics(Set.of(topic)).allTopicNames().get(5, TimeUnit.SECONDS).get(topic)
                    .partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        } catch (java.util.concurrent.ExecutionException e) {
            if (e.getCause() instanceof org.apache.kafka.common.errors.UnknownTopicOrPartitionException) {
                LOG.warnf("%s does not exist: the jobs of people erased cannot be withdrawn until it is created"
                        + " (docs/asyncapi.yaml); sending", topic);
                return true;
            }
            throw e;
        }
        var latest = new HashMap<TopicPartition, OffsetSpec>();
        var earliest = new HashMap<TopicPartition, OffsetSpec>();
        partitions.forEach(p -> {
            latest.put(p, OffsetSpec.latest());
            earliest.put(p, OffsetSpec.earliest());
        });
        var ends = admin.listOffsets(latest).all().get(5, TimeUnit.SECONDS);
        var starts = admin.listOffsets(earliest).all().get(5, TimeUnit.SECONDS);
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(5, TimeUnit.SECONDS);
        for (TopicPartition p : partitions) {
            long end = ends.get(p).offset();
            OffsetAndMetadata at = committed.get(p);
            // records past their retention are gone whatever was committed: the log's start is the floor
            long position = Math.max(at != null ? at.offset() : 0, starts.get(p).offset());
            if (position < end) {
                return false;
            }
        }
        LOG.infof("erasures read up to the end of %s: sending", topic);
        return true;
    }

    /**
     * Of these jobs, the ids of those not to be sent, each with its reason: {@link #ERASED} when their person was
     * erased, {@link #CHANNEL_REMOVED} when they were made before their channel was removed from the person.
     */
    Map<String, String> withdrawn(List<NotificationJob> jobs) {
        List<NotificationJob> people = jobs.stream().filter(j -> j.subscriberId() != null).toList();
        if (people.isEmpty() || !anyErased()) {
            return Map.of();
        }
        return jdbc.inTransaction(c -> {
            var found = new HashMap<String, String>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT u.job_id, min(e.channel) = '' FROM unnest(?::text[], ?::text[], ?::text[], ?::timestamptz[])
                        AS u(d, job_id, channel, created)
                    JOIN erased_subscriber e ON e.subscriber = decode(u.d, 'hex')
                        AND (e.channel = '' OR (e.channel = u.channel AND u.created < e.before))
                    GROUP BY u.job_id""")) {
                s.setArray(1, c.createArrayOf("text", people.stream().map(j -> key.digest(j.subscriberId())).toArray()));
                s.setArray(2, c.createArrayOf("text", people.stream().map(NotificationJob::jobId).toArray()));
                s.setArray(3, c.createArrayOf("text", people.stream().map(j -> j.channel().name()).toArray()));
                s.setArray(4, c.createArrayOf("timestamptz", people.stream()
                        .map(j -> j.createdAt() == null ? null : java.sql.Timestamp.from(j.createdAt())).toArray()));
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        found.put(rows.getString(1), rows.getBoolean(2) ? ERASED : CHANNEL_REMOVED);
                    }
                }
            }
            return found;
        });
    }

    /**
     * Whether someone was erased since {@code readAt} ({@link System#nanoTime()}), as this instance read it or as
     * another's reading shows in the table: only then is a job that has waited since then looked up again.
     */
    boolean changedSince(long readAt) {
        anyErased();
        return changedAt - readAt >= 0;
    }

    /** Whether {@code erased_subscriber} holds rows: asked of the database at most once a second. */
    private boolean anyErased() {
        long now = System.nanoTime();
        if (now - latestCheckedAt > EMPTY_CHECK_NANOS) {
            long newest = jdbc.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement("""
                        SELECT coalesce((extract(epoch FROM max(erased_at)) * 1000000)::bigint, 0)
                        FROM erased_subscriber""");
                     ResultSet rows = s.executeQuery()) {
                    rows.next();
                    return rows.getLong(1);
                }
            });
            if (newest != latest) {
                if (latest >= 0) {
                    changedAt = now;
                }
                latest = newest;
            }
            latestCheckedAt = now;
        }
        return latest != 0;
    }

    @Override
    public void close() {
        if (loop != null) {
            loop.close();
        }
        synchronized (this) {
            if (admin != null) {
                admin.close(Duration.ofSeconds(2));
            }
        }
    }
}
