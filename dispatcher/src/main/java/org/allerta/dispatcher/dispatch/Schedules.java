package org.allerta.dispatcher.dispatch;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.allerta.contracts.EventStats;
import org.allerta.contracts.Topics;
import org.allerta.dispatcher.events.StatsService;
import org.allerta.service.BrokerProbe;
import org.allerta.service.Jdbc;
import org.allerta.service.RecordProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The dispatcher's two clocks: held notices are released when their quiet hours end, and {@code alerts.stats} is
 * published every few seconds for events with news (an active event, or one with activity in the last hour).
 */
@ApplicationScoped
public class Schedules {

    private static final Logger LOG = Logger.getLogger(Schedules.class);
    private static final int RELEASE_BATCH = 1000;

    private final MatchDispatcher dispatcher;
    private final StatsService stats;
    private final Jdbc jdbc;
    private final RecordProducer producer;
    private final BrokerProbe broker;
    private final Duration releaseInterval;
    private final Duration statsInterval;
    private final Map<String, EventStats> published = new HashMap<>();
    private ScheduledExecutorService executor;

    Schedules(MatchDispatcher dispatcher, StatsService stats, Jdbc jdbc, RecordProducer producer, BrokerProbe broker,
              @ConfigProperty(name = "allerta.dispatcher.release-interval") Duration releaseInterval,
              @ConfigProperty(name = "allerta.dispatcher.stats-interval") Duration statsInterval) {
        this.dispatcher = dispatcher;
        this.stats = stats;
        this.jdbc = jdbc;
        this.producer = producer;
        this.broker = broker;
        this.releaseInterval = releaseInterval;
        this.statsInterval = statsInterval;
    }

    void onStart(@Observes StartupEvent event) {
        executor = Executors.newScheduledThreadPool(2, r -> {
            Thread thread = new Thread(r, "allerta-dispatcher-schedule");
            thread.setDaemon(true);
            return thread;
        });
        executor.scheduleWithFixedDelay(this::release, releaseInterval.toMillis(), releaseInterval.toMillis(),
                TimeUnit.MILLISECONDS);
        executor.scheduleWithFixedDelay(this::publishStats, statsInterval.toMillis(), statsInterval.toMillis(),
                TimeUnit.MILLISECONDS);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (executor != null) {
            executor.shutdownNow();
        }
    }

    private void release() {
        if (!broker.state().topicsReady()) {
            return;
        }
        try {
            while (dispatcher.releaseDue(RELEASE_BATCH) == RELEASE_BATCH) {
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
            for (String eventId : eventsWithNews()) {
                stats.stats(eventId).ifPresent(s -> {
                    EventStats before = published.get(eventId);
                    if (before == null || !sameCounts(before, s)) {
                        producer.sendAndWait(Topics.ALERTS_STATS, eventId, s, eventId + "/" + s.at(), eventId);
                        published.put(eventId, s);
                    }
                });
            }
        } catch (RuntimeException e) {
            LOG.warnf("publishing statistics paused: %s", e.getMessage());
        }
    }

    private List<String> eventsWithNews() {
        return jdbc.inTransaction(c -> {
            var ids = new ArrayList<String>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT DISTINCT ON (event_id) event_id FROM event_revision
                    WHERE event_id IN (SELECT event_id FROM event_revision WHERE received_at > now() - interval '1 hour'
                                       UNION SELECT event_id FROM event_tally WHERE updated_at > now() - interval '1 hour'
                                       UNION SELECT r.event_id FROM (SELECT DISTINCT ON (event_id) event_id, status
                                             FROM event_revision ORDER BY event_id, revision DESC) r
                                             WHERE r.status = 'ACTIVE')
                    LIMIT 500""")) {
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        ids.add(rows.getString(1));
                    }
                }
            }
            return ids;
        });
    }

    private static boolean sameCounts(EventStats a, EventStats b) {
        return a.lastRevisionComplete() == b.lastRevisionComplete() && a.matched() == b.matched()
                && a.notified().equals(b.notified()) && a.notifiedPerChange().equals(b.notifiedPerChange())
                && a.held() == b.held() && a.sent() == b.sent() && a.delivered() == b.delivered()
                && a.failed() == b.failed() && a.read() == b.read() && a.clicked() == b.clicked()
                && a.backlog().equals(b.backlog());
    }
}
