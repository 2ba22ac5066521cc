package org.allerta.dispatcher.dispatch;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.allerta.contracts.Channel;
import org.allerta.contracts.EventStats;
import org.allerta.contracts.Topics;
import org.allerta.dispatcher.events.Receipts;
import org.allerta.dispatcher.events.StatsPending;
import org.allerta.dispatcher.events.StatsService;
import org.allerta.service.BrokerProbe;
import org.allerta.service.RecordProducer;
import org.allerta.service.RetentionSweep;
import org.allerta.service.Ticker;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The dispatcher's clocks: held notices are released when their quiet hours end, receipts that came before their
 * job's row are applied once it is there ({@link Receipts}), and {@code alerts.stats} is published every few seconds
 * for the events whose counts moved ({@link StatsPending}), in pages, the longest waiting first, so that no event waits
 * behind others however many are active. An active event whose counts stay still is published again once per
 * heartbeat ({@code allerta.dispatcher.stats-heartbeat}): its record's {@code at} tells a dashboard that the figures
 * are current, not the last word of a dispatcher that stopped. What is older than the retention period is deleted
 * every {@code allerta.dispatcher.retention-sweep} ({@link Retention}).
 */
@ApplicationScoped
public class Schedules {

    private static final Logger LOG = Logger.getLogger(Schedules.class);
    private static final int RELEASE_BATCH = 1000;
    private static final int PUBLISHED_REMEMBERED = 10_000;
    /** At most this many unchanged active events are published again per tick, the longest silent first. */
    private static final int HEARTBEAT_PAGE = 1000;

    private final MatchDispatcher dispatcher;
    private final Receipts receipts;
    private final org.allerta.dispatcher.registry.SubscriberService subscribers;
    private final StatsService stats;
    private final RecordProducer producer;
    private final BrokerProbe broker;
    private final Duration releaseInterval;
    private final Duration statsInterval;
    private final Duration statsHeartbeat;
    private final StatsPending pending;
    private final Retention retention;
    private final Duration retentionSweep;
    private final int statsPage;
    /** What alerts.stats last carried per event, for the most recent events (unchanged counts are not sent again). */
    private final Map<String, EventStats> published = new LinkedHashMap<>(1024, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, EventStats> eldest) {
            return size() > PUBLISHED_REMEMBERED;
        }
    };
    /** When alerts.stats last carried each event (System.nanoTime), kept for the active events. */
    private final Map<String, Long> lastSent = new java.util.HashMap<>();
    private final Set<String> waiting = new HashSet<>();
    private boolean seeded;
    private final java.time.Clock clock;
    /** The events still active, as last read, and when (System.nanoTime). */
    private List<String> active = List.of();
    private long activeReadAt;
    private Ticker ticker;

    Schedules(MatchDispatcher dispatcher, StatsService stats, StatsPending pending, Receipts receipts,
              org.allerta.dispatcher.registry.SubscriberService subscribers, RecordProducer producer,
              BrokerProbe broker, java.time.Clock clock, Retention retention,
              @ConfigProperty(name = "allerta.dispatcher.release-interval") Duration releaseInterval,
              @ConfigProperty(name = "allerta.dispatcher.stats-interval") Duration statsInterval,
              @ConfigProperty(name = "allerta.dispatcher.stats-heartbeat") Duration statsHeartbeat,
              @ConfigProperty(name = "allerta.dispatcher.stats-page") int statsPage,
              @ConfigProperty(name = "allerta.dispatcher.retention-sweep") Duration retentionSweep) {
        this.dispatcher = dispatcher;
        this.receipts = receipts;
        this.subscribers = subscribers;
        this.stats = stats;
        this.pending = pending;
        this.statsPage = statsPage;
        this.producer = producer;
        this.broker = broker;
        this.releaseInterval = releaseInterval;
        this.statsInterval = statsInterval;
        this.statsHeartbeat = statsHeartbeat;
        this.clock = clock;
        this.retention = retention;
        this.retentionSweep = retentionSweep;
    }

    void onStart(@Observes StartupEvent event) {
        ticker = Ticker.start("allerta-dispatcher-schedule", 3)
                .every(releaseInterval, this::release)
                .every(statsInterval, this::publishStats)
                .every(Duration.ofSeconds(1), this::applyWaitingReceipts)
                .every(Duration.ofMinutes(1), Duration.ofHours(1), this::forgetOldCodes)
                .every(retentionSweep, RetentionSweep.task(clock, retention::sweep));
    }

    /** The digests of addresses codes went to, after their day. */
    private void forgetOldCodes() {
        try {
            subscribers.forgetOldCodes();
        } catch (RuntimeException e) {
            LOG.warnf("forgetting old verification codes paused: %s", e.getMessage());
        }
    }

    /** Receipts that came before their job's row, applied once it is there. */
    private void applyWaitingReceipts() {
        try {
            while (receipts.sweep() == Receipts.SWEEP_LIMIT) {
                // more are waiting
            }
        } catch (RuntimeException e) {
            LOG.warnf("applying waiting receipts paused: %s", e.getMessage());
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (ticker != null) {
            ticker.close();
        }
    }

    private void release() {
        if (!broker.state().topicsReady()) {
            return;
        }
        try {
            while (dispatcher.releaseDue(RELEASE_BATCH) >= RELEASE_BATCH) {
                // more are due
            }
        } catch (RuntimeException e) {
            LOG.warnf("releasing held notices paused: %s", e.getMessage());
        }
    }

    private void publishStats() {
        if (!broker.state().topicsReady()) {
            return;
        }
        try {
            if (!seeded) {
                int events = pending.seed();
                seeded = true;
                LOG.debugf("statistics: %d events to publish after the start", events);
            }
            // events with notices still waiting: the senders' drain estimate moves without any change of their own
            var ids = new LinkedHashSet<>(waiting);
            List<String> page;
            do {
                page = pending.take(statsPage);
                ids.addAll(page);
                publish(new ArrayList<>(ids));
                ids.clear();
            } while (page.size() == statsPage);
            // then, after the news, the active events that said nothing for a heartbeat
            heartbeat();
        } catch (RuntimeException e) {
            LOG.warnf("publishing statistics paused: %s", e.getMessage());
        }
    }

    /**
     * Publishes again the active events not published for a heartbeat, at most {@link #HEARTBEAT_PAGE} of them, the
     * longest silent first. The list of active events is read again once per heartbeat.
     */
    private void heartbeat() {
        long now = System.nanoTime();
        long heartbeat = statsHeartbeat.toNanos();
        if (activeReadAt == 0 || now - activeReadAt >= heartbeat) {
            active = pending.active(clock.instant());
            activeReadAt = now;
            lastSent.keySet().retainAll(new HashSet<>(active));
        }
        var due = new ArrayList<String>();
        var silent = new java.util.HashMap<String, Long>();
        for (String eventId : active) {
            Long at = lastSent.get(eventId);
            long since = at == null ? Long.MAX_VALUE : now - at;
            if (since >= heartbeat) {
                due.add(eventId);
                silent.put(eventId, since);
            }
        }
        due.sort(java.util.Comparator.comparing((String id) -> silent.get(id)).reversed());
        int failed = 0;
        String reason = null;
        for (String eventId : due.subList(0, Math.min(due.size(), HEARTBEAT_PAGE))) {
            try {
                stats.stats(eventId).ifPresent(s -> send(eventId, s));
            } catch (RuntimeException e) {
                // one event that cannot be counted does not stop the others' heartbeats
                failed++;
                reason = e.getMessage();
            }
        }
        if (failed > 0) {
            LOG.warnf("statistics of %d active events not published again: %s", failed, reason);
        }
    }

    private void send(String eventId, EventStats s) {
        producer.sendAndWait(Topics.ALERTS_STATS, eventId, s, eventId + "/" + s.at(), eventId);
        published.put(eventId, s);
        lastSent.put(eventId, System.nanoTime());
    }

    /** Recounts these events and publishes those whose counts moved; on failure they wait for the next tick. */
    private void publish(List<String> ids) {
        for (int i = 0; i < ids.size(); i++) {
            String eventId = ids.get(i);
            try {
                stats.fold(eventId);
                stats.stats(eventId).ifPresent(s -> {
                    EventStats before = published.get(eventId);
                    if (before == null || !sameCounts(before, s)) {
                        send(eventId, s);
                    }
                    if (s.backlog().values().stream().anyMatch(n -> n > 0)) {
                        waiting.add(eventId);
                    } else {
                        waiting.remove(eventId);
                    }
                });
            } catch (RuntimeException e) {
                pending.touch(ids.subList(i, ids.size()));
                throw e;
            }
        }
    }

    private static boolean sameCounts(EventStats a, EventStats b) {
        return a.lastRevisionComplete() == b.lastRevisionComplete() && a.matched() == b.matched()
                && a.notified().equals(b.notified()) && a.notifiedPerChange().equals(b.notifiedPerChange())
                && a.held() == b.held() && a.awaitingChannel() == b.awaitingChannel()
                && a.testWithheld() == b.testWithheld() && a.sent() == b.sent()
                && a.delivered() == b.delivered()
                && a.failed() == b.failed() && a.superseded() == b.superseded() && a.read() == b.read()
                && a.clicked() == b.clicked()
                && a.backlog().equals(b.backlog())
                && seconds(a.estimatedDrainSeconds()).equals(seconds(b.estimatedDrainSeconds()));
    }

    /** A drain estimate to the second: it moves on the topic when the plan does, not at every tick's jitter. */
    private static Map<Channel, Long> seconds(Map<Channel, Double> estimate) {
        var rounded = new java.util.EnumMap<Channel, Long>(Channel.class);
        estimate.forEach((channel, s) -> rounded.put(channel, s == null ? null : Math.round(s)));
        return rounded;
    }
}
