package org.allerta.sender.delivery;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.allerta.contracts.Channel;
import org.allerta.contracts.ChannelBacklog;
import org.allerta.contracts.Topics;
import org.allerta.service.BrokerProbe;
import org.allerta.service.RecordProducer;
import org.allerta.service.Ticker;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The send plan on {@code notifications.backlog}, every few seconds per enabled channel: how many jobs wait (the
 * consumer group's lag on the channel's topic plus the jobs being sent), the current rate (over the last 30 s), and
 * the estimated time to drain: waiting ÷ the channel's limit (or ÷ the measured rate when there is no limit, or when
 * a full window of six plans, 30 s, shows the provider slower than the limit), with the group's committed position and
 * the end offset of each partition. When a full window went by with jobs waiting and none finished (the provider is
 * away, or throttles every attempt), no time is given: nothing tells when it will be back, and the limit would
 * promise a drain that is not happening. The dispatcher combines it with what it knows per event (jobs emitted minus jobs sent or failed, and
 * the offsets where the event's last jobs lie) for each event's send plan: the share of the queue ahead of the
 * event's last job.
 */
@ApplicationScoped
public class SendPlan {

    private static final Logger LOG = Logger.getLogger(SendPlan.class);

    private final Deliveries deliveries;
    private final BrokerProbe broker;
    private final RecordProducer producer;
    private final Clock clock;
    private final Duration interval;
    private final String group;
    private final Map<Channel, RateWindow> history = new EnumMap<>(Channel.class);
    private Ticker ticker;
    private Admin admin;

    SendPlan(Deliveries deliveries, BrokerProbe broker, RecordProducer producer, Clock clock,
             @ConfigProperty(name = "allerta.sender.plan-interval", defaultValue = "5s") Duration interval,
             @ConfigProperty(name = "allerta.sender.group-id", defaultValue = "notification-sender") String group) {
        this.deliveries = deliveries;
        this.broker = broker;
        this.producer = producer;
        this.clock = clock;
        this.interval = interval;
        this.group = group;
    }

    void onStart(@Observes StartupEvent event) {
        ticker = Ticker.start("allerta-send-plan").every(interval, this::publishSafely);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (ticker != null) {
            ticker.close();
        }
        if (admin != null) {
            admin.close(Duration.ofSeconds(2));
        }
    }

    private void publishSafely() {
        if (!broker.state().topicsReady() || deliveries.lanes().isEmpty()) {
            return;
        }
        try {
            publish();
        } catch (Exception e) {
            LOG.debugf("send plan paused: %s", e.getMessage());
        }
    }

    private void publish() throws Exception {
        if (admin == null) {
            var props = new Properties();
            props.putAll(broker.clientConfig());
            admin = Admin.create(props);
        }
        long now = System.nanoTime();
        for (Deliveries.Lane lane : deliveries.lanes().values()) {
            Map<Integer, Long> positions = new java.util.TreeMap<>();
            Map<Integer, Long> ends = new java.util.TreeMap<>();
            // the urgent topic's jobs go first: they are waiting too, ahead of every job of the bulk
            long lag = lag(Deliveries.consumerGroup(group, lane.channel, false), lane.channel.jobsTopic(), positions,
                    ends) + lag(Deliveries.consumerGroup(group, lane.channel, true), lane.channel.urgentJobsTopic(),
                    new java.util.TreeMap<>(), new java.util.TreeMap<>());
            long waiting = Math.max(lag, lane.inFlight.get());
            RateWindow window = history.computeIfAbsent(lane.channel, c -> new RateWindow(interval.multipliedBy(6)));
            window.observe(now, lane.sent.get(), lane.finished.get(), waiting == 0);
            double rate = window.rate();
            long sentJobs = lane.sent.get();
            double perJob = sentJobs > 0 ? Math.max(1.0, (double) lane.messages.get() / sentJobs) : 1.0;
            Double drain = window.stalled() ? null : drainSeconds(waiting, lane.bucket.rate(),
                    lane.account.map(TokenBucket::rate).orElse(0.0), perJob, rate, window.full());
            producer.send(Topics.NOTIFICATIONS_BACKLOG, lane.channel.name(), new ChannelBacklog(lane.channel, null,
                    waiting, rate, drain, clock.instant(), positions, ends), lane.channel + "/" + now, lane.channel.name());
        }
        producer.flush();
    }

    /**
     * Jobs sent per second over the last window (six plans, 30 s) of a channel's current busy spell. An idle moment
     * starts a new spell: the rate of a burst is measured from its start, not diluted by the quiet before it (an
     * unlimited channel's first plan of a burst would otherwise promise minutes for what takes seconds).
     */
    static final class RateWindow {
        private final long length;
        private final ArrayDeque<long[]> samples = new ArrayDeque<>();
        private double seconds;
        private double rate;
        private boolean stalled;

        RateWindow(Duration length) {
            this.length = length.toNanos();
        }

        /**
         * The count of jobs sent and of jobs finished (sent or not) at {@code now} (nanoseconds); {@code idle} when
         * nothing waits.
         */
        void observe(long now, long sent, long finished, boolean idle) {
            if (idle) {
                samples.clear();
            }
            samples.addLast(new long[] {now, sent, finished});
            while (samples.size() > 2 && now - samples.peekFirst()[0] > length) {
                samples.removeFirst();
            }
            long[] first = samples.peekFirst();
            seconds = (now - first[0]) / 1e9;
            rate = seconds > 0 ? (sent - first[1]) / seconds : 0;
            stalled = full() && finished == first[2];
        }

        /** True once the rate covers most of a window (five of its six plans): it then says what the provider does. */
        boolean full() {
            return seconds * 1e9 >= length * 5 / 6;
        }

        /** True when jobs waited for a full window and not one of them finished. */
        boolean stalled() {
            return stalled;
        }

        double rate() {
            return rate;
        }
    }

    /**
     * Seconds until {@code waiting} jobs are sent, or null when nothing tells. With a limit, a long queue drains at
     * the limit: the channel's, or its provider account's when that is stricter (an account shared with other
     * channels limits this one too). The limits count messages, and a long SMS is several: in jobs, a limit is
     * divided by the messages per job. The measured rate takes over once it covers a full window, when the provider
     * turns out slower than the limit; without a limit, it is all there is.
     */
    static Double drainSeconds(long waiting, double channelLimit, double accountLimit, double messagesPerJob,
                               double measuredRate, boolean fullWindow) {
        if (waiting == 0) {
            return 0.0;
        }
        double messagesPerSecond = channelLimit;
        if (accountLimit > 0) {
            messagesPerSecond = messagesPerSecond > 0 ? Math.min(messagesPerSecond, accountLimit) : accountLimit;
        }
        double limit = messagesPerSecond / messagesPerJob;
        double basis = limit > 0 ? (fullWindow && measuredRate > 0 ? Math.min(limit, measuredRate) : limit)
                : measuredRate;
        return basis > 0 ? waiting / basis : null;
    }

    /**
     * Jobs on a jobs topic that the sender's consumer group has not committed yet; {@code positions} gets the
     * committed offset of each partition (the first job not finished there), {@code ends} its end offset.
     */
    private long lag(String groupId, String topic, Map<Integer, Long> positions, Map<Integer, Long> ends)
            throws Exception {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(groupId)
                .partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        Set<TopicPartition> partitions = admin.describeTopics(Set.of(topic)).allTopicNames()
                .get(10, TimeUnit.SECONDS).get(topic).partitions().stream()
                .map(p -> new TopicPartition(topic, p.partition())).collect(Collectors.toSet());
        Map<TopicPartition, OffsetSpec> latest = partitions.stream()
                .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> latestOffsets = admin.listOffsets(latest).all()
                .get(10, TimeUnit.SECONDS);
        long lag = 0;
        for (TopicPartition p : partitions) {
            long end = latestOffsets.get(p).offset();
            ends.put(p.partition(), end);
            OffsetAndMetadata done = committed.get(p);
            long position = done == null ? 0 : done.offset();
            positions.put(p.partition(), position);
            lag += Math.max(0, end - position);
        }
        return lag;
    }
}
