package org.allerta.sender.delivery;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import org.allerta.contracts.Channel;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.Json;
import org.allerta.contracts.NotificationJob;
import org.allerta.contracts.Receipt;
import org.allerta.contracts.ReceiptStatus;
import org.allerta.contracts.Topics;
import org.allerta.sender.channel.Adapter;
import org.allerta.sender.channel.Outcome;
import org.allerta.service.BrokerProbe;
import org.allerta.service.ConsumerLoop;
import org.allerta.service.Jdbc;
import org.allerta.service.RecordProducer;
import org.allerta.service.outbox.Outbox;
import org.allerta.service.problem.Problem;
import org.allerta.service.problem.ProblemException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.Config;
import org.jboss.logging.Logger;

/**
 * Consumes {@code notifications.jobs.<channel>} and {@code notifications.jobs.<channel>.urgent} for every enabled
 * channel and delivers each job once. The urgent topic has workers of its own, and while one of its jobs is being
 * sent the bulk takes no token from the channel's (or its provider account's) limits; a job of the bulk also waits
 * while its person has an urgent job not finished, so that one person's notices keep their order (ADR 5).
 *
 * <p>For a batch: jobs already handled (their id is in {@code handled_job}) are skipped; the rest go out
 * prioritised first, through the channel's token bucket and at most {@code concurrency} at a time (both topics
 * together); each attempt that
 * the provider refuses for now is retried with exponential backoff and jitter, until the maximum number of attempts
 * or the job's expiry; an expired job is not sent and fails as {@code EXPIRED}. As soon as a job is sent or has
 * definitively failed, its handled row and its receipt (through the outbox) commit together. The batch's offsets are
 * committed once every job of it is handled.
 *
 * <p>A channel is delivered at least once (the default) or at most once ({@code allerta.sender.<channel>.delivery},
 * else {@code allerta.sender.delivery}). At least once, a crash between the provider's acceptance and the handled
 * row sends the jobs then in flight again after the restart. At most once, each attempt is announced in
 * {@code sending_job} before it starts and the announcement leaves with its outcome; a job found announced but not
 * handled is not sent again but fails as {@code UNCERTAIN}: the crash may have cost it, never doubled it.
 */
@ApplicationScoped
public class Deliveries {

    private static final Logger LOG = Logger.getLogger(Deliveries.class);

    /** Per-channel settings. */
    record Settings(int concurrency, int maxAttempts, Duration backoff, Duration maxBackoff, Guarantee guarantee) {
    }

    /** What a crash in the middle of an attempt may do to a job. */
    public enum Guarantee {
        /** The job may be sent again after the crash: nobody misses it, a few may get it twice. */
        AT_LEAST_ONCE,
        /** The job is not sent again after the crash but reported {@code UNCERTAIN}: nobody gets it twice. */
        AT_MOST_ONCE;

        static Guarantee parse(String value) {
            try {
                return valueOf(value.trim().toUpperCase(java.util.Locale.ROOT).replace('-', '_'));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("delivery must be at-least-once or at-most-once, not '" + value
                        + "'");
            }
        }

        @Override
        public String toString() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** The reason of a job whose attempt a crash interrupted, on a channel delivered at most once. */
    public static final String UNCERTAIN = "UNCERTAIN";

    private final BrokerProbe broker;
    private final Jdbc jdbc;
    private final Outbox outbox;
    private final RecordProducer producer;
    private final Clock clock;
    private final Config config;
    private final ProviderAccounts accounts;
    private final Map<Channel, Adapter> adapters = new EnumMap<>(Channel.class);
    private final Map<Channel, Lane> lanes = new EnumMap<>(Channel.class);
    private final List<ConsumerLoop> loops = new ArrayList<>();
    private final Recorder recorder;
    /** Set when the service stops: no attempt starts any more, those under way finish and are recorded. */
    private volatile boolean stopping;
    /**
     * How long a batch may take before the group gives its partitions to another member: a provider throttling for
     * long, or a low rate limit, keeps a batch's last jobs waiting that long (Kafka's default, five minutes, would
     * have another instance take the batch over while this one still sends it). A rebalance waits for the batches
     * under way, up to this long.
     */
    private final Duration longestBatch;
    /** How long a batch's jobs may keep waiting for their provider: three quarters of the longest batch. */
    private final Duration batchBudget;
    /** Which urgent notices overtook the bulk: a notice of the bulk about an older revision is not sent after them. */
    private final Overtaking overtaking;
    /** Who was erased from the registry: their queued jobs are not sent. */
    private final Erasures erasures;

    Deliveries(BrokerProbe broker, Jdbc jdbc, Outbox outbox, RecordProducer producer, Clock clock, Config config,
               Instance<Adapter> all) {
        this.broker = broker;
        this.jdbc = jdbc;
        this.outbox = outbox;
        this.producer = producer;
        this.clock = clock;
        this.config = config;
        this.accounts = new ProviderAccounts(config);
        this.longestBatch = config.getOptionalValue("allerta.sender.longest-batch", Duration.class)
                .orElse(Duration.ofHours(1));
        this.batchBudget = longestBatch.multipliedBy(3).dividedBy(4);
        SenderKey key = new SenderKey(jdbc);
        this.overtaking = new Overtaking(jdbc, key);
        this.erasures = new Erasures(jdbc, key);
        this.recorder = new Recorder(jdbc, outbox,
                config.getOptionalValue("allerta.sender.record-group", Integer.class).orElse(64), overtaking);
        for (Adapter adapter : all) {
            for (Channel channel : adapter.channels()) {
                adapters.put(channel, adapter);
            }
        }
    }

    /** One channel's sending state: its limit, its workers, and what it has sent lately (for the send plan). */
    final class Lane {
        final Channel channel;
        final Settings settings;
        final TokenBucket bucket;
        /** The provider account's bucket, shared with the other channels of that account, if any. */
        final Optional<TokenBucket> account;
        /** The provider account's bound on sends under way at once, shared with its other channels, if any. */
        final Optional<java.util.concurrent.Semaphore> accountSlots;
        final ExecutorService workers;
        /** The urgent topic's own workers, so that its jobs never wait for a worker of the bulk. */
        final ExecutorService urgentWorkers;
        final AtomicLong inFlight = new AtomicLong();
        /**
         * Urgent jobs being sent at this moment (not those waiting out a backoff), on this channel or, when it sends
         * through a provider account, on any channel of the account: while there are any, the bulk's jobs take no
         * token.
         */
        final AtomicLong urgentActive;
        /** Sends under way at once on the channel, the bulk's and the urgent ones together. */
        final java.util.concurrent.Semaphore sends;
        /**
         * The urgent jobs read and not finished, per person and event: a job of the bulk about the same event waits
         * for them even while they wait out a backoff, so that one person's notices keep their order across the two
         * topics.
         */
        final UrgentPending urgentPending = new UrgentPending();
        final AtomicLong sent = new AtomicLong();
        /** The jobs finished, sent or not (failed, expired, superseded): while none is, nothing drains. */
        final AtomicLong finished = new AtomicLong();
        /** The messages the sent jobs took (a long SMS takes one per part), as the limits count them. */
        final AtomicLong messages = new AtomicLong();

        Lane(Channel channel, Settings settings) {
            this.channel = channel;
            this.settings = settings;
            this.bucket = TokenBucket.configured(config, prefix(channel));
            this.account = accounts.of(channel);
            this.accountSlots = accounts.slots(channel);
            this.urgentActive = accounts.urgent(channel).orElseGet(AtomicLong::new);
            this.sends = new java.util.concurrent.Semaphore(settings.concurrency(), true);
            this.workers = pool("allerta-send-" + channel.name().toLowerCase(java.util.Locale.ROOT),
                    settings.concurrency());
            // more threads than sends at once (the semaphore bounds those): urgent jobs waiting out a backoff keep
            // their threads, and the other urgent jobs of the batch must not wait for one
            this.urgentWorkers = pool("allerta-send-urgent-" + channel.name().toLowerCase(java.util.Locale.ROOT),
                    settings.concurrency() * 4);
        }

        private ExecutorService pool(String name, int threads) {
            return Executors.newFixedThreadPool(threads, r -> {
                Thread thread = new Thread(r, name);
                thread.setDaemon(true);
                return thread;
            });
        }
    }

    void onStart(@Observes StartupEvent event) {
        String group = config.getOptionalValue("allerta.sender.group-id", String.class).orElse("notification-sender");
        erasures.start(broker, producer, group);
        for (Channel channel : adapters.keySet()) {
            Lane lane = new Lane(channel, settings(channel));
            lanes.put(channel, lane);
            for (boolean urgent : List.of(false, true)) {
                loops.add(ConsumerLoop.startBatches(consumerGroup("jobs", channel, urgent), broker,
                        consumerGroup(group, channel, urgent), List.of(channel.jobsTopic(urgent)), producer,
                        Math.max(10, lane.settings.concurrency() * 25), longestBatch,
                        batch -> handle(lane, batch, urgent)));
            }
            LOG.infof("%s: sending (rate %s/s, concurrency %d, at most %d attempts, %s)", channel,
                    lane.bucket.rate() <= 0 ? "unlimited" : lane.bucket.rate(), lane.settings.concurrency(),
                    lane.settings.maxAttempts(), lane.settings.guarantee());
        }
    }

    /**
     * A graceful stop finishes the attempts under way and records them, so that a restart neither sends them again
     * (at least once) nor reports them uncertain (at most once); the jobs not yet attempted stay on their topic for
     * the next start. Sends still under way after {@code allerta.sender.stop-grace} (10 s) are interrupted.
     */
    void onStop(@Observes ShutdownEvent event) {
        stopping = true;
        // every loop told at once, then each awaited: a stop takes the longest loop's time, not their sum
        var closing = loops.stream().map(loop -> {
            Thread thread = new Thread(loop::close, "allerta-send-stop");
            thread.start();
            return thread;
        }).toList();
        for (Thread thread : closing) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        lanes.values().forEach(l -> {
            l.workers.shutdown();
            l.urgentWorkers.shutdown();
        });
        long grace = config.getOptionalValue("allerta.sender.stop-grace", Duration.class)
                .orElse(Duration.ofSeconds(10)).toNanos();
        long deadline = System.nanoTime() + grace;
        for (Lane lane : lanes.values()) {
            for (ExecutorService pool : List.of(lane.workers, lane.urgentWorkers)) {
                try {
                    if (!pool.awaitTermination(Math.max(0, deadline - System.nanoTime()),
                            java.util.concurrent.TimeUnit.NANOSECONDS)) {
                        LOG.warnf("%s: sends still under way at the end of the stop's grace; interrupted",
                                lane.channel);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                pool.shutdownNow();
            }
        }
        erasures.close();
        recorder.close();
    }

    /** The lanes, for the send plan. */
    public Map<Channel, Lane> lanes() {
        return lanes;
    }

    private static void finishedUrgent(Lane lane, NotificationJob job) {
        lane.urgentPending.finish(job);
    }

    /** The consumer group of a channel's bulk or urgent jobs topic: {@code <group>-<channel>[-urgent]}. */
    static String consumerGroup(String group, Channel channel, boolean urgent) {
        return group + "-" + channel.name().toLowerCase(java.util.Locale.ROOT) + (urgent ? "-urgent" : "");
    }

    /** Where a channel's settings live: {@code allerta.sender.<channel>.}. */
    static String prefix(Channel channel) {
        return "allerta.sender." + channel.name().toLowerCase(java.util.Locale.ROOT) + ".";
    }

    private Settings settings(Channel channel) {
        return new Settings(config.getOptionalValue(prefix(channel) + "concurrency", Integer.class).orElse(4),
                config.getOptionalValue("allerta.sender.max-attempts", Integer.class).orElse(8),
                config.getOptionalValue("allerta.sender.backoff", Duration.class).orElse(Duration.ofMillis(500)),
                config.getOptionalValue("allerta.sender.max-backoff", Duration.class).orElse(Duration.ofSeconds(60)),
                Guarantee.parse(config.getOptionalValue(prefix(channel) + "delivery", String.class)
                        .or(() -> config.getOptionalValue("allerta.sender.delivery", String.class))
                        .orElse("at-least-once")));
    }

    /**
     * Sends a batch of one of the channel's topics. An urgent batch has workers of its own and, while one of its jobs
     * is being sent, the bulk's jobs take no token from the limits: it goes first whatever the bulk's backlog.
     */
    void handle(Lane lane, List<ConsumerRecord<String, byte[]>> batch, boolean urgent) {
        if (!erasures.caughtUp()) {
            // a sender that was away while someone was erased sends none of their queued jobs on its return
            throw new ConsumerLoop.RetryLater("the erasures on " + Topics.SUBSCRIBERS_ERASED + " are not read yet");
        }
        var jobs = new ArrayList<NotificationJob>();
        var letters = new LinkedHashMap<ConsumerRecord<String, byte[]>, List<DeadLetter.Problem>>();
        for (ConsumerRecord<String, byte[]> record : batch) {
            try {
                NotificationJob job = Json.fromBytes(record.value() == null ? new byte[0] : record.value(),
                        NotificationJob.class);
                if (!UUID.fromString(job.jobId()).toString().equals(job.jobId())) {
                    // the ids handled are compared as the database writes them: one spelling per job
                    throw new IllegalArgumentException("the job id " + job.jobId() + " is not a UUID in its"
                            + " canonical form (lower case)");
                }
                if (job.channel() != lane.channel) {
                    throw new IllegalArgumentException("a " + job.channel() + " job on the " + lane.channel
                            + " topic");
                }
                jobs.add(job);
            } catch (IllegalArgumentException | NullPointerException e) {
                letters.put(record, List.of(new DeadLetter.Problem(Problem.TYPE_PREFIX + "invalid-record", "value",
                        String.valueOf(e.getMessage()))));
            }
        }
        producer.deadLetters(letters);
        Set<String> handled = handled(jobs);
        Set<String> interrupted = lane.settings.guarantee() == Guarantee.AT_MOST_ONCE
                ? interrupted(jobs, handled) : Set.of();
        var todo = new ArrayList<NotificationJob>();
        var seen = new HashSet<String>();
        for (NotificationJob job : jobs) {
            if (!handled.contains(job.jobId()) && seen.add(job.jobId())) {
                if (interrupted.contains(job.jobId())) {
                    LOG.warnf("job %s: an attempt was interrupted by a stop; not sent again (at most once), %s",
                            job.jobId(), UNCERTAIN);
                    try {
                        record(lane, job, 0, null, ReceiptStatus.FAILED, UNCERTAIN, urgent);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new ConsumerLoop.RetryLater("interrupted while recording");
                    }
                } else {
                    todo.add(job);
                }
            }
        }
        // the jobs of a person erased from the registry since they were queued, or of a channel removed from them,
        // are withdrawn
        Map<String, String> withdrawn = erasures.withdrawn(todo);
        for (String reason : Set.copyOf(withdrawn.values())) {
            notSent(lane, todo, withdrawn.entrySet().stream().filter(e -> e.getValue().equals(reason))
                    .map(Map.Entry::getKey).collect(java.util.stream.Collectors.toSet()), reason, urgent);
        }
        if (!urgent && !todo.isEmpty()) {
            // a notice of the bulk overtaken by an urgent notice of a later revision (the event escalated while it
            // waited): the person has heard the newer word already, and the older one is not sent after it
            notSent(lane, todo, overtaking.overtaken(todo), SUPERSEDED, false);
        }
        // one person's jobs go out one after the other, in the order they came (an AFFECTED and its RESOLVED in one
        // batch must not cross); people with a priority job first
        var perPerson = new LinkedHashMap<String, List<NotificationJob>>();
        for (NotificationJob job : todo) {
            perPerson.computeIfAbsent(job.subscriberId() == null ? job.jobId() : job.subscriberId(),
                    k -> new ArrayList<>()).add(job);
        }
        var queues = new ArrayList<>(perPerson.values());
        queues.sort(Comparator.comparing((List<NotificationJob> q) -> q.stream().noneMatch(NotificationJob::priority)));
        lane.inFlight.addAndGet(todo.size());
        if (urgent) {
            todo.forEach(lane.urgentPending::add);
        }
        var futures = new ArrayList<Future<?>>();
        long readAt = System.nanoTime();
        for (List<NotificationJob> queue : queues) {
            futures.add((urgent ? lane.urgentWorkers : lane.workers).submit(() -> {
                int done = 0;
                try {
                    for (NotificationJob job : queue) {
                        deliver(lane, job, readAt, urgent);
                        done++;
                        lane.inFlight.decrementAndGet();
                        if (urgent) {
                            finishedUrgent(lane, job);
                        }
                    }
                } finally {
                    lane.inFlight.addAndGet(done - queue.size());
                    if (urgent) {
                        queue.subList(done, queue.size()).forEach(job -> finishedUrgent(lane, job));
                    }
                }
                return null;
            }));
        }
        RuntimeException failure = null;
        for (Future<?> future : futures) {
            try {
                future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                failure = new IllegalStateException("interrupted");
            } catch (java.util.concurrent.ExecutionException e) {
                failure = e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            }
        }
        if (failure != null) {
            throw failure;   // the batch is consumed again; what was handled is skipped
        }
    }

    /** Takes the jobs named by {@code ids} out of {@code todo} and records them FAILED with {@code reason}, unsent. */
    private void notSent(Lane lane, List<NotificationJob> todo, Set<String> ids, String reason, boolean urgent) {
        if (ids.isEmpty()) {
            return;
        }
        var outcomes = new ArrayList<Recorder.Outcome>();
        for (java.util.Iterator<NotificationJob> it = todo.iterator(); it.hasNext(); ) {
            NotificationJob job = it.next();
            if (ids.contains(job.jobId())) {
                it.remove();
                outcomes.add(outcome(lane, job, 0, null, ReceiptStatus.FAILED, reason, urgent));
            }
        }
        try {
            recorder.recordAll(outcomes);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ConsumerLoop.RetryLater("interrupted while recording");
        }
    }

    /**
     * The reason of a notice of the bulk not sent because an urgent notice about a later revision of the same event
     * reached its person on the same channel first.
     */
    public static final String SUPERSEDED = "SUPERSEDED";

    /** After this long since its batch was read, a job of the bulk looks in the database whether it was overtaken. */
    private static final long OVERTAKEN_RECHECK_NANOS = Duration.ofSeconds(1).toNanos();

    /**
     * Whether an urgent notice of a later revision overtook this notice of the bulk since its batch was read: sent by
     * this instance (in memory), or by any (in the database, once the job has waited long enough for that).
     */
    private boolean overtakenSince(NotificationJob job, long readAt) {
        if (!Overtaking.concerns(job)) {
            return false;
        }
        return overtaking.overtakenHere(job) || (System.nanoTime() - readAt > OVERTAKEN_RECHECK_NANOS
                && !overtaking.overtaken(List.of(job)).isEmpty());
    }

    private Set<String> handled(List<NotificationJob> jobs) {
        return listed("handled_job", jobs.stream().map(NotificationJob::jobId).toList());
    }

    /** Of the jobs not handled yet, those an attempt was announced for ({@code sending_job}). */
    private Set<String> interrupted(List<NotificationJob> jobs, Set<String> handled) {
        return listed("sending_job", jobs.stream().map(NotificationJob::jobId).filter(id -> !handled.contains(id))
                .toList());
    }

    /** Which of the job ids have a row in {@code table} (one of this service's tables keyed by job_id). */
    private Set<String> listed(String table, List<String> jobIds) {
        if (jobIds.isEmpty()) {
            return Set.of();
        }
        return jdbc.inTransaction(c -> {
            var found = new HashSet<String>();
            try (PreparedStatement s = c.prepareStatement("SELECT job_id FROM " + table + " WHERE job_id = ANY (?)")) {
                s.setArray(1, c.createArrayOf("uuid", jobIds.stream().map(UUID::fromString).toArray()));
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        found.add(rows.getString(1));
                    }
                }
            }
            return found;
        });
    }

    /**
     * Announces an attempt, committed before it starts (at most once). A database that cannot take it stops the
     * attempt: the batch is consumed again later and nothing was sent.
     */
    private void announce(NotificationJob job, int attempt) {
        jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO sending_job (job_id, channel, attempt) VALUES (?, ?, ?)
                    ON CONFLICT (job_id) DO UPDATE SET attempt = excluded.attempt, started_at = now()""")) {
                s.setObject(1, UUID.fromString(job.jobId()));
                s.setString(2, job.channel().name());
                s.setInt(3, attempt);
                s.executeUpdate();
            }
            return null;
        });
    }

    /**
     * Withdraws the announcement of an attempt the provider refused for now, so that a stop while waiting for the
     * next attempt does not count as an interrupted one. Should the database not take it, the announcement stays:
     * a stop before the next outcome then fails the job as uncertain, which loses it at worst, never doubles it.
     */
    private void withdraw(NotificationJob job) {
        try {
            jdbc.inTransaction(c -> {
                Recorder.forget(c, List.of(job.jobId()));
                return null;
            });
        } catch (RuntimeException e) {
            LOG.debugf("job %s: the announcement of a refused attempt stays (%s)", job.jobId(), e.getMessage());
        }
    }

    /** How often a job of the bulk looks again whether the urgent jobs are through. */
    private static final long URGENT_POLL_MS = 10;

    /** After this long since its batch was read, an attempt first checks that nobody has handled its job. */
    static final Duration RECHECK_AFTER = Duration.ofMinutes(1);

    private boolean expired(NotificationJob job) {
        return job.expiresAt() != null && !clock.instant().isBefore(job.expiresAt());
    }

    /** Sends one job of the bulk with retries, then records the outcome and its receipt. */
    void deliver(Lane lane, NotificationJob job) throws InterruptedException {
        deliver(lane, job, System.nanoTime(), false);
    }

    /**
     * Lets a job of the batch read at {@code readAt} go on, or throws {@link ConsumerLoop.RetryLater}: while the
     * service stops, and past the batch's budget, after which the group would give the batch to another instance
     * while this one still sends it (the batch is read again instead, and what was handled meanwhile is skipped).
     */
    private void mayGoOn(long readAt) {
        if (stopping) {
            throw new ConsumerLoop.RetryLater("stopping; the job waits for the next start");
        }
        if (System.nanoTime() - readAt > batchBudget.toNanos()) {
            throw new ConsumerLoop.RetryLater("the batch has waited for its provider for " + batchBudget
                    + "; read again");
        }
    }

    /**
     * Sends one job read at {@code readAt} (nanoTime). An attempt that starts more than {@link #RECHECK_AFTER} after
     * the batch was read, or after an earlier attempt, first looks whether another instance has handled the job
     * meanwhile (it took the partition over while this one waited): then the job is left to it.
     */
    void deliver(Lane lane, NotificationJob job, long readAt, boolean urgent) throws InterruptedException {
        if (!urgent) {
            attempt(lane, job, readAt, false);
            return;
        }
        lane.urgentActive.incrementAndGet();
        try {
            attempt(lane, job, readAt, true);
        } finally {
            lane.urgentActive.decrementAndGet();
        }
    }

    /** {@link #deliver}'s attempts; an urgent job counts in its lane's {@code urgentActive} meanwhile. */
    private void attempt(Lane lane, NotificationJob job, long readAt, boolean urgent) throws InterruptedException {
        Settings s = lane.settings;
        Adapter adapter = adapters.get(job.channel());
        int attempts = 0;
        int failures = 0;     // attempts that count against the maximum: all but those throttled
        String lastReason = null;
        // a long SMS goes out as several messages, each of which the limits count
        int cost = job.channel() == Channel.SMS ? Math.max(1, org.allerta.contracts.sms.Sms.parts(job.text()).size())
                : 1;
        while (true) {
            // the bulk waits while urgent jobs are being sent (not those waiting out a backoff), and while its person
            // has an urgent job of the same event not finished
            boolean waited = false;
            while (!urgent && (lane.urgentActive.get() > 0 || lane.urgentPending.holds(job))) {
                mayGoOn(readAt);
                if (expired(job)) {
                    record(lane, job, attempts, null, ReceiptStatus.FAILED, "EXPIRED");
                    return;
                }
                Thread.sleep(URGENT_POLL_MS);
                waited = true;
            }
            mayGoOn(readAt);
            // after a wait (the same job may have gone out from the urgent topic meanwhile), an attempt, or a long
            // batch, the job may have been handled meanwhile
            if ((waited || attempts > 0 || System.nanoTime() - readAt > RECHECK_AFTER.toNanos())
                    && !listed("handled_job", List.of(job.jobId())).isEmpty()) {
                LOG.debugf("job %s: handled meanwhile", job.jobId());
                return;
            }
            // an expired job takes no token from the jobs behind it
            if (expired(job)) {
                record(lane, job, attempts, null, ReceiptStatus.FAILED, "EXPIRED");
                return;
            }
            // nor does one whose person was erased, or whose channel was removed, while it waited
            String withdrawn = erasures.changedSince(readAt) ? erasures.withdrawn(List.of(job)).get(job.jobId()) : null;
            if (withdrawn != null) {
                record(lane, job, attempts, null, ReceiptStatus.FAILED, withdrawn);
                return;
            }
            lane.bucket.acquire(cost);
            if (lane.account.isPresent()) {
                lane.account.get().acquire(cost);
            }
            // a send of the channel's (bulk and urgent together) and of the provider account's at once: waited for as
            // long as the job, the batch and the service allow, before the attempt is announced
            if (!permit(lane.sends, job, readAt)) {
                record(lane, job, attempts, null, ReceiptStatus.FAILED, "EXPIRED");
                return;
            }
            java.util.concurrent.Semaphore slot = lane.accountSlots.orElse(null);
            boolean slotHeld = false;
            Outcome outcome = null;
            boolean personBusy = false;
            boolean overtaken = false;
            try {
                if (slot != null) {
                    slotHeld = permit(slot, job, readAt);
                }
                if (!urgent && (slot == null || slotHeld)) {
                    // while it waited for the limits, an urgent job of its person may have been read (it goes first)
                    // or sent: one of a later revision of the same event overtook it
                    personBusy = lane.urgentPending.holds(job);
                    overtaken = !personBusy && overtakenSince(job, readAt);
                }
                // checked again once the limits let the job go: the wait for them may outlast its expiry
                if ((slot == null || slotHeld) && !personBusy && !overtaken && !expired(job)) {
                    attempts++;
                    if (s.guarantee() == Guarantee.AT_MOST_ONCE) {
                        announce(job, attempts);
                    }
                    outcome = adapter.send(job);
                }
            } finally {
                if (slotHeld) {
                    slot.release();
                }
                lane.sends.release();
            }
            if (personBusy) {
                continue;   // waits for its person's urgent job, then looks again
            }
            if (overtaken) {
                record(lane, job, attempts, null, ReceiptStatus.FAILED, SUPERSEDED);
                return;
            }
            if (outcome == null) {
                // expired while it waited: recorded once the permits are back, for the jobs waiting on them
                record(lane, job, attempts, null, ReceiptStatus.FAILED, "EXPIRED");
                return;
            }
            if (Thread.currentThread().isInterrupted() && !(outcome instanceof Outcome.Sent)) {
                // the stop's grace ran out during the attempt: what the provider did with it is unknown. At most
                // once, its announcement stays, and the next start reports the job UNCERTAIN instead of sending it
                // again; at least once, it is sent again
                throw new ConsumerLoop.RetryLater("an attempt interrupted by the stop");
            }
            if (outcome instanceof Outcome.Sent sent) {
                lane.messages.addAndGet(cost);
                lane.sent.incrementAndGet();
                recordSent(lane, job, attempts, sent.providerMessageId(), urgent);
                return;
            }
            if (outcome instanceof Outcome.Failed failed) {
                record(lane, job, attempts, null, ReceiptStatus.FAILED, failed.reason());
                return;
            }
            if (outcome instanceof Outcome.Uncertain uncertain) {
                if (s.guarantee() == Guarantee.AT_MOST_ONCE) {
                    // the provider may hold it already: not sent again, whatever it costs (an SMS twice is paid twice)
                    LOG.warnf("job %s: %s; not sent again (at most once), reported %s", job.jobId(),
                            uncertain.reason(), UNCERTAIN);
                    record(lane, job, attempts, null, ReceiptStatus.FAILED, UNCERTAIN, urgent);
                    return;
                }
                outcome = new Outcome.Retry(uncertain.reason(), null);
            }
            Outcome.Retry retry = (Outcome.Retry) outcome;
            lastReason = retry.reason();
            if (!retry.throttled()) {
                failures++;
            }
            if (failures >= s.maxAttempts()) {
                record(lane, job, attempts, null, ReceiptStatus.FAILED, "MAX_ATTEMPTS: " + lastReason);
                return;
            }
            if (s.guarantee() == Guarantee.AT_MOST_ONCE) {
                withdraw(job);
            }
            // exponential with jitter, and never sooner than the provider asked
            long base = Math.min(s.maxBackoff().toMillis(), s.backoff().toMillis() << Math.min(20, attempts - 1));
            long wait = base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1);
            if (retry.after() != null && retry.after().toMillis() > wait) {
                // the provider's word wins over the longest backoff, up to a quarter of the longest batch (the job's
                // expiry bounds it below); a longer wait would hold the batch past what the group allows
                wait = Math.max(wait, Math.min(retry.after().toMillis(), longestBatch.toMillis() / 4));
            }
            if (job.expiresAt() != null && clock.instant().plusMillis(wait).isAfter(job.expiresAt())) {
                record(lane, job, attempts, null, ReceiptStatus.FAILED, "EXPIRED");
                return;
            }
            LOG.debugf("job %s: %s; attempt %d in %d ms", job.jobId(), lastReason, attempts + 1, wait);
            long left = (batchBudget.toNanos() - (System.nanoTime() - readAt)) / 1_000_000 + 1;
            // an urgent job waiting out a refusal of its own does not hold the bulk back meanwhile; one the provider
            // throttles (its limit is full) does, or the bulk would take the room it waits for
            boolean stepAside = urgent && !retry.throttled();
            if (stepAside) {
                lane.urgentActive.decrementAndGet();
            }
            try {
                pause(Math.max(0, Math.min(wait, left)));
            } finally {
                if (stepAside) {
                    lane.urgentActive.incrementAndGet();
                }
            }
        }
    }

    /** Waits for a permit as long as the job, the batch and the service allow; false when the job expired. */
    private boolean permit(java.util.concurrent.Semaphore permits, NotificationJob job, long readAt)
            throws InterruptedException {
        while (!permits.tryAcquire(200, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            mayGoOn(readAt);
            if (expired(job)) {
                return false;
            }
        }
        return true;
    }

    /** Sleeps {@code millis}, or less when the service stops (the next attempt then leaves the job for the next start). */
    private void pause(long millis) throws InterruptedException {
        long until = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(millis);
        long left;
        while (!stopping && (left = until - System.nanoTime()) > 0) {
            java.util.concurrent.TimeUnit.NANOSECONDS.sleep(Math.min(left,
                    java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(100)));
        }
    }

    /**
     * Records a job the provider has accepted. That fact must not be lost to a database that is away for a while:
     * were the batch consumed again, the job would be sent twice. So the record is retried, with backoff, until the
     * database takes it (the batch's offsets wait meanwhile); only a crash inside this window can repeat a job.
     */
    private void recordSent(Lane lane, NotificationJob job, int attempts, String providerMessageId, boolean urgent)
            throws InterruptedException {
        long wait = 100;
        boolean warned = false;
        while (true) {
            try {
                record(lane, job, attempts, providerMessageId, ReceiptStatus.SENT, null, urgent);
                if (warned) {
                    LOG.infof("job %s: sent, and now recorded", job.jobId());
                }
                return;
            } catch (RuntimeException e) {
                if (!warned) {
                    LOG.warnf("job %s was sent but cannot be recorded yet (%s); retrying until the database answers",
                            job.jobId(), e.getMessage());
                    warned = true;
                }
                Thread.sleep(wait);
                wait = Math.min(5_000, wait * 2);
            }
        }
    }

    /**
     * The handled row and the receipt, in one transaction (shared with the outcomes other threads record at the same
     * moment); at most once, the attempt's announcement leaves too. Returns once committed.
     */
    private void record(Lane lane, NotificationJob job, int attempts, String providerMessageId, ReceiptStatus status,
                        String reason) throws InterruptedException {
        record(lane, job, attempts, providerMessageId, status, reason, false);
    }

    /** {@link #record}, for a job of the urgent topic when {@code urgent}. */
    private void record(Lane lane, NotificationJob job, int attempts, String providerMessageId, ReceiptStatus status,
                        String reason, boolean urgent) throws InterruptedException {
        recorder.record(outcome(lane, job, attempts, providerMessageId, status, reason, urgent));
        lane.finished.incrementAndGet();
    }

    private Recorder.Outcome outcome(Lane lane, NotificationJob job, int attempts, String providerMessageId,
                                     ReceiptStatus status, String reason, boolean urgent) {
        var receipt = new Receipt(job.jobId(), job.channel(), job.eventId(), status, reason, providerMessageId,
                attempts, clock.instant());
        return new Recorder.Outcome(job, receipt, lane.settings.guarantee() == Guarantee.AT_MOST_ONCE, urgent);
    }

    /** A provider's later report on a submission, known by the provider's message id. */
    public record ProviderReport(String providerMessageId, ReceiptStatus status, String reason) {
    }

    /**
     * Turns a group of provider reports into receipts, in one transaction; returns the reports whose provider id is
     * not (yet) known. Providers recycle their ids: a report goes to the latest submission that received its id.
     */
    public List<ProviderReport> reportAll(Channel channel, List<ProviderReport> reports) {
        return reportAll(channel, reports, null);
    }

    /**
     * Like {@link #reportAll(Channel, List)}, failing instead of waiting longer than {@code limit} (when given) for
     * the database: a caller that has someone waiting on the answer gives up in time.
     */
    public List<ProviderReport> reportAll(Channel channel, List<ProviderReport> reports, Duration limit) {
        if (reports.isEmpty()) {
            return List.of();
        }
        return jdbc.inTransaction(c -> {
            if (limit != null) {
                try (var s = c.createStatement()) {
                    s.execute("SET LOCAL statement_timeout = " + limit.toMillis());
                }
            }
            var jobs = new java.util.HashMap<String, String[]>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT DISTINCT ON (provider_message_id) provider_message_id, job_id, event_id FROM handled_job
                    WHERE channel = ? AND provider_message_id = ANY (?)
                    ORDER BY provider_message_id, handled_at DESC""")) {
                s.setString(1, channel.name());
                s.setArray(2, c.createArrayOf("text",
                        reports.stream().map(ProviderReport::providerMessageId).distinct().toArray()));
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        jobs.put(rows.getString(1), new String[] {rows.getString(2), rows.getString(3)});
                    }
                }
            }
            var unknown = new ArrayList<ProviderReport>();
            for (ProviderReport r : reports) {
                String[] job = jobs.get(r.providerMessageId());
                if (job == null) {
                    unknown.add(r);
                    continue;
                }
                var receipt = new Receipt(job[0], channel, job[1], r.status(), r.reason(), r.providerMessageId(), 0,
                        clock.instant());
                outbox.add(c, Topics.NOTIFICATIONS_RECEIPTS, job[0], receipt,
                        job[0] + "/" + r.status() + "/" + Instant.now(), job[0]);
            }
            return unknown;
        });
    }

    /**
     * Turns a provider's later report (delivery receipt, read) into a receipt. A report of a job not recorded yet (a
     * webhook attempt that timed out after the provider took the message, or a callback quicker than the group
     * commit) is kept, and becomes its receipt once the job is recorded ({@link EarlyReports}); kept a day at most.
     */
    public void report(Channel channel, String jobId, String providerMessageId, ReceiptStatus status,
                       String reason) {
        if (jobId == null) {
            if (!reportAll(channel, List.of(new ProviderReport(providerMessageId, status, reason))).isEmpty()) {
                keepEarly(channel, null, providerMessageId, status, reason);
            }
            return;
        }
        boolean known = jdbc.inTransaction(c -> {
            String eventId;
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT event_id, attempts, reason FROM handled_job WHERE job_id = ?::uuid AND channel = ?")) {
                s.setString(1, jobId);
                s.setString(2, channel.name());
                try (ResultSet rows = s.executeQuery()) {
                    if (!rows.next()) {
                        return false;
                    }
                    eventId = rows.getString(1);
                    // an uncertain attempt (interrupted by a stop) may have reached the provider: its word counts
                    if (rows.getInt(2) == 0 && !UNCERTAIN.equals(rows.getString(3))) {
                        throw ProblemException.conflict("job-not-sent", "Job " + jobId + " was never sent (it expired"
                                + " or failed before any attempt): no provider can have delivered or shown it.");
                    }
                }
            }
            var receipt = new Receipt(jobId, channel, eventId, status, reason, providerMessageId, 0, clock.instant());
            outbox.add(c, Topics.NOTIFICATIONS_RECEIPTS, jobId, receipt, jobId + "/" + status + "/" + Instant.now(),
                    jobId);
            return true;
        });
        if (!known) {
            keepEarly(channel, jobId, providerMessageId, status, reason);
        }
    }

    /** Keeps a report that came before its job was recorded ({@link EarlyReports} applies it). */
    private void keepEarly(Channel channel, String jobId, String providerMessageId, ReceiptStatus status,
                           String reason) {
        jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO early_report (channel, job_id, provider_message_id, status, reason)
                    VALUES (?, ?::uuid, ?, ?, ?)""")) {
                s.setString(1, channel.name());
                s.setString(2, jobId);
                s.setString(3, providerMessageId);
                s.setString(4, status.name());
                s.setString(5, reason);
                s.executeUpdate();
            }
            return null;
        });
    }
}
