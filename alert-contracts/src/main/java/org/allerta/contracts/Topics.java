package org.allerta.contracts;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Every Kafka topic of Allerta, with its settings: the one place from which topics are created
 * ({@link org.allerta.contracts.kafka.TopicCreator}); broker auto-creation stays off. Who produces and who consumes
 * each topic is declared here too, and a contract test checks the services against it.
 */
public final class Topics {

    public static final String INTAKE_RAW = "intake.raw";
    public static final String PUBLISHERS = "publishers";
    public static final String ALERTS_EVENTS = "alerts.events";
    public static final String ALERTS_DLQ = "alerts.dlq";
    public static final String SUBSCRIBERS_PLACES = "subscribers.places";
    public static final String SUBSCRIBERS_ERASED = "subscribers.erased";
    public static final String PLACES_GEOCODED = "places.geocoded";
    public static final String ALERTS_MATCHES = "alerts.matches";
    public static final String ALERTS_PROGRESS = "alerts.progress";
    public static final String JOBS_PREFIX = "notifications.jobs.";
    /** Ends the name of a channel's urgent jobs topic ({@link Channel#urgentJobsTopic()}). */
    public static final String URGENT_SUFFIX = ".urgent";
    public static final String NOTIFICATIONS_RECEIPTS = "notifications.receipts";
    public static final String NOTIFICATIONS_BACKLOG = "notifications.backlog";
    public static final String ALERTS_STATS = "alerts.stats";

    /** Who writes or reads a topic: a service, or someone outside Allerta. */
    public enum Party {
        ALERT_INTAKE, GEO_MATCHER, DISPATCHER, NOTIFICATION_SENDER,
        /** Publishers writing raw events to Kafka. */
        EXTERNAL_PUBLISHERS,
        /** Dashboards and operators' tools. */
        DASHBOARDS,
        /** Operators inspecting dead letters. */
        OPERATORS
    }

    /** How old records are removed. */
    public enum Cleanup {
        /** Deleted after the retention time. */
        DELETE,
        /** Only the latest record per key is kept (tombstones erase). */
        COMPACT,
        /** Compacted, and old segments also deleted after the retention time. */
        COMPACT_DELETE;

        /** The broker's {@code cleanup.policy} value. */
        public String policy() {
            return switch (this) {
                case DELETE -> "delete";
                case COMPACT -> "compact";
                case COMPACT_DELETE -> "compact,delete";
            };
        }
    }

    /**
     * One topic's settings.
     *
     * @param name       topic name
     * @param key        what the record key is
     * @param value      the contract type of the value (or a description for raw input)
     * @param partitions partition count
     * @param cleanup    cleanup policy
     * @param retention  retention time; empty means forever (compacted topics)
     * @param producers  who writes it
     * @param consumers  who reads it
     */
    public record TopicSpec(
            String name,
            String key,
            String value,
            int partitions,
            Cleanup cleanup,
            Optional<Duration> retention,
            Set<Party> producers,
            Set<Party> consumers) {

        /** The broker configuration this topic is created with. */
        public Map<String, String> config() {
            var config = new java.util.LinkedHashMap<String, String>();
            config.put("cleanup.policy", cleanup.policy());
            config.put("retention.ms", retention.map(d -> Long.toString(d.toMillis())).orElse("-1"));
            if (cleanup != Cleanup.DELETE) {
                config.put("min.cleanable.dirty.ratio", "0.1");
                config.put("segment.ms", Long.toString(Duration.ofHours(6).toMillis()));
                // a record replaced or erased (a tombstone of subscribers.places: where an erased person lived) is
                // compacted away within a day, however little else changed in its partition
                config.put("max.compaction.lag.ms", Long.toString(DAY.toMillis()));
            }
            return Map.copyOf(config);
        }
    }

    private static final Duration DAY = Duration.ofDays(1);

    /** All topics, in the order of the flow. */
    public static final List<TopicSpec> ALL = Stream.concat(
            Stream.of(
                    spec(INTAKE_RAW, "publisher's event id", "GeoJSON Feature or CAP 1.2 XML, signed", 3,
                            Cleanup.DELETE, DAY.multipliedBy(7),
                            Set.of(Party.EXTERNAL_PUBLISHERS), Set.of(Party.ALERT_INTAKE)),
                    spec(PUBLISHERS, "publisher id", "Publisher", 1, Cleanup.COMPACT, null,
                            Set.of(Party.ALERT_INTAKE), Set.of(Party.GEO_MATCHER, Party.DISPATCHER)),
                    spec(ALERTS_EVENTS, "event id", "AlertEvent", 6, Cleanup.DELETE, DAY.multipliedBy(30),
                            Set.of(Party.ALERT_INTAKE), Set.of(Party.GEO_MATCHER, Party.DISPATCHER, Party.DASHBOARDS)),
                    spec(ALERTS_DLQ, "input id", "DeadLetter", 1, Cleanup.DELETE, DAY.multipliedBy(30),
                            Set.of(Party.ALERT_INTAKE, Party.GEO_MATCHER, Party.DISPATCHER, Party.NOTIFICATION_SENDER),
                            Set.of(Party.OPERATORS)),
                    spec(SUBSCRIBERS_PLACES, "subscriber id", "SubscriberPlaces", 6, Cleanup.COMPACT, null,
                            Set.of(Party.DISPATCHER), Set.of(Party.GEO_MATCHER)),
                    // kept longer than any job it withdraws (the job topics keep theirs a day)
                    spec(SUBSCRIBERS_ERASED, "subscriber id", "SubscriberErased", 3, Cleanup.DELETE,
                            DAY.multipliedBy(2), Set.of(Party.DISPATCHER), Set.of(Party.NOTIFICATION_SENDER)),
                    spec(PLACES_GEOCODED, "subscriber id", "PlaceGeocoded", 6, Cleanup.DELETE, DAY.multipliedBy(7),
                            Set.of(Party.GEO_MATCHER), Set.of(Party.DISPATCHER)),
                    spec(ALERTS_MATCHES, "subscriber id", "MatchChange", 6, Cleanup.DELETE, DAY.multipliedBy(7),
                            Set.of(Party.GEO_MATCHER), Set.of(Party.DISPATCHER)),
                    spec(ALERTS_PROGRESS, "event id", "MatchProgress", 3, Cleanup.DELETE, DAY.multipliedBy(7),
                            Set.of(Party.GEO_MATCHER), Set.of(Party.DISPATCHER, Party.DASHBOARDS))),
            Stream.concat(
                    Stream.of(Channel.values()).flatMap(channel -> Stream.of(
                            spec(channel.jobsTopic(), "subscriber id", "NotificationJob", 6, Cleanup.DELETE, DAY,
                                    Set.of(Party.DISPATCHER), Set.of(Party.NOTIFICATION_SENDER)),
                            spec(channel.urgentJobsTopic(), "subscriber id", "NotificationJob", 3, Cleanup.DELETE,
                                    DAY, Set.of(Party.DISPATCHER), Set.of(Party.NOTIFICATION_SENDER)))),
                    Stream.of(
                            spec(NOTIFICATIONS_RECEIPTS, "job id", "Receipt", 6, Cleanup.DELETE, DAY.multipliedBy(7),
                                    Set.of(Party.NOTIFICATION_SENDER), Set.of(Party.DISPATCHER)),
                            spec(NOTIFICATIONS_BACKLOG, "channel[/event id]", "ChannelBacklog", 1,
                                    Cleanup.COMPACT_DELETE, DAY,
                                    Set.of(Party.NOTIFICATION_SENDER), Set.of(Party.DISPATCHER)),
                            spec(ALERTS_STATS, "event id", "EventStats", 3, Cleanup.COMPACT, null,
                                    Set.of(Party.DISPATCHER), Set.of(Party.DASHBOARDS)))))
            .toList();

    private Topics() {
    }

    private static TopicSpec spec(String name, String key, String value, int partitions, Cleanup cleanup,
                                  Duration retention, Set<Party> producers, Set<Party> consumers) {
        return new TopicSpec(name, key, value, partitions, cleanup, Optional.ofNullable(retention),
                Set.copyOf(producers), Set.copyOf(consumers));
    }

    /** The spec of a topic by name. */
    public static TopicSpec spec(String name) {
        return ALL.stream().filter(t -> t.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown topic " + name));
    }

    /** The topics a party writes. */
    public static Set<String> producedBy(Party party) {
        return ALL.stream().filter(t -> t.producers().contains(party)).map(TopicSpec::name)
                .collect(Collectors.toUnmodifiableSet());
    }

    /** The topics a party reads. */
    public static Set<String> consumedBy(Party party) {
        return ALL.stream().filter(t -> t.consumers().contains(party)).map(TopicSpec::name)
                .collect(Collectors.toUnmodifiableSet());
    }
}
