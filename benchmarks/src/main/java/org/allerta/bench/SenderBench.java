package org.allerta.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import org.allerta.contracts.Change;
import org.allerta.contracts.Channel;
import org.allerta.contracts.JobPurpose;
import org.allerta.contracts.Json;
import org.allerta.contracts.NotificationJob;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * {@code ./allerta bench sender}: N jobs put on a channel's topic → N SENT receipts from the notification-sender
 * delivering to the local protocol peers (SMSC simulator, GreenMail). Reports jobs/s per channel beside Kafka's own
 * producer rate for the same records; with {@code --estimate}, the accuracy of the send plan: the estimated time to
 * drain reported on {@code notifications.backlog} early on, against the time the last job was actually sent.
 */
public final class SenderBench {

    private static java.sql.Connection db;

    private SenderBench() {
    }

    /** Seconds from {@code t0} to the last of {@code n} jobs of {@code eventId} handled (sent or failed, receipt
     * written in the same transaction), from the sender's own table. */
    private static double awaitHandled(String eventId, int n, Instant t0, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (var s = db.prepareStatement("SELECT count(*), max(handled_at), count(*) FILTER (WHERE outcome <> 'SENT')"
                + " FROM sender.handled_job WHERE event_id = ?")) {
            s.setString(1, eventId);
            while (true) {
                try (var rows = s.executeQuery()) {
                    rows.next();
                    if (rows.getLong(1) >= n) {
                        if (rows.getLong(3) > 0) {
                            System.out.printf("  (%d of them FAILED)%n", rows.getLong(3));
                        }
                        return Duration.between(t0, rows.getTimestamp(2).toInstant()).toNanos() / 1e9;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("jobs of " + eventId + " not handled within " + timeout);
                }
                Thread.sleep(200);
            }
        }
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> o = Options.parse(args);
        String bootstrap = o.get("bootstrap");
        db = java.sql.DriverManager.getConnection(o.get("db-url"), "allerta", o.get("db-password"));
        int jobs = Integer.parseInt(o.getOrDefault("jobs", "10000"));
        String estimate = o.get("estimate");
        if (estimate != null) {
            estimate(bootstrap, jobs, Double.parseDouble(estimate));
            perEvent(bootstrap, o.get("dispatcher-url"), o.get("admin-key"), jobs);
            overtaking(bootstrap, jobs, Double.parseDouble(estimate));
            return;
        }
        // twice: the first round after the start includes the services' warm-up (the JIT compiling the hot paths),
        // the second is the steady state a long blackout is delivered at
        for (String round : List.of("first after start", "second (warm)")) {
            System.out.println(round + ":");
            for (Channel channel : List.of(Channel.SMS, Channel.EMAIL)) {
                run(bootstrap, channel, jobs);
            }
        }
    }

    private static NotificationJob job(Channel channel, int i, String run) {
        String recipient = channel == Channel.SMS ? "+39334" + String.format("%07d", i)
                : "persona" + i + "-" + run + "@example.org";
        String text = "Persona " + i + ", interruzione di corrente presso la tua casa. Ripristino previsto alle "
                + "18:00. http://127.0.0.1:8083/r/Qx7fK2mB9pLc4Rz1Vt8sWa";
        return new NotificationJob(UUID.randomUUID().toString(), JobPurpose.NOTICE, channel, "bench-" + run, 1L,
                Change.AFFECTED, UUID.randomUUID().toString(), recipient, "it",
                channel == Channel.EMAIL ? "Interruzione di corrente - la tua casa" : null, text,
                channel == Channel.EMAIL ? "<p>" + text + "</p>" : null, Map.of(), null, i % 100 == 0,
                Instant.now().plusSeconds(3600), Instant.now());
    }

    private static void run(String bootstrap, Channel channel, int n) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        var ids = new HashSet<String>();
        byte[] sample = null;
        try (var producer = KafkaLimit.producer(bootstrap)) {
            Instant t0 = Instant.now();
            for (int i = 0; i < n; i++) {
                NotificationJob job = job(channel, i, run);
                ids.add(job.jobId());
                sample = Json.toBytes(job);
                producer.send(new ProducerRecord<>(channel.jobsTopic(), job.subscriberId(), sample));
            }
            producer.flush();
            double last = awaitHandled("bench-" + run, n, t0, Duration.ofMinutes(20));
            double kafka = KafkaLimit.produce(bootstrap, "bench.jobs", n, sample);
            System.out.printf(Locale.ROOT, "%-5s %,d jobs: last SENT after %.2f s = %,.0f jobs/s (local peer, no rate"
                    + " limit) | limit: Kafka produce of %,d %d-byte records %.2f s = %,.0f records/s%n", channel, n,
                    last, n / last, n, sample.length, kafka, n / kafka);
        }
    }

    /** N SMS through a sender limited to {@code rate}/s: the plan's first estimate against what happened. */
    private static void estimate(String bootstrap, int n, double rate) throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        var ids = new HashSet<String>();
        try (var producer = KafkaLimit.producer(bootstrap);
             var plans = db.prepareStatement("SELECT waiting, rate_per_second, drain_seconds, at FROM"
                     + " dispatcher.channel_backlog WHERE channel = 'SMS' AND event_id = '' AND at > ?")) {
            Instant t0 = Instant.now();
            for (int i = 0; i < n; i++) {
                NotificationJob job = job(Channel.SMS, i, run);
                ids.add(job.jobId());
                producer.send(new ProducerRecord<>(Channel.SMS.jobsTopic(), job.subscriberId(), Json.toBytes(job)));
            }
            producer.flush();
            // the first plan, at least 10 s in, that has a measured rate (read where the dispatcher keeps it)
            long waiting = 0;
            double rateSeen = 0;
            double drain = 0;
            double planAt = 0;
            while (planAt == 0) {
                Thread.sleep(500);
                plans.setTimestamp(1, java.sql.Timestamp.from(t0.plusSeconds(10)));
                try (var rows = plans.executeQuery()) {
                    if (rows.next() && rows.getDouble(2) > 0 && rows.getObject(3) != null) {
                        waiting = rows.getLong(1);
                        rateSeen = rows.getDouble(2);
                        drain = rows.getDouble(3);
                        planAt = Duration.between(t0, rows.getTimestamp(4).toInstant()).toNanos() / 1e9;
                    }
                }
            }
            double last = awaitHandled("bench-" + run, n, t0, Duration.ofMinutes(30));
            double predicted = planAt + drain;
            System.out.printf(Locale.ROOT, "SMS %,d jobs at %.0f/s: the plan at %.1f s said %,d waiting at %.1f/s,"
                    + " %.1f s to drain -> predicted end %.1f s; actual end %.1f s; error %+.1f%%%n", n, rate, planAt,
                    waiting, rateSeen, drain, predicted, last, (predicted - last) / last * 100);
        }
    }

    /**
     * The send plan per event, through the dispatcher: a large event's notices queued first, then a small event's
     * behind them, on the same rate-limited SMS channel. Each event's estimate, read from the dispatcher's statistics
     * (as an operator reads it) once the sender has measured its rate, against the time its last job was sent; beside
     * the channel's whole-queue estimate, which is what every event would show without per-event positions.
     */
    private static void perEvent(String bootstrap, String dispatcher, String adminKey, int n) throws Exception {
        int large = n * 4 / 5;
        int small = n - large;
        DispatcherBench.seed(db, n);
        String run = UUID.randomUUID().toString().substring(0, 8);
        String first = "bench-plan-large-" + run;
        String second = "bench-plan-small-" + run;
        Instant t0 = Instant.now();
        try (var producer = KafkaLimit.producer(bootstrap)) {
            DispatcherBench.dispatch(db, producer, first, 1, large);
            DispatcherBench.dispatch(db, producer, second, large + 1, n);
        }
        double dispatched = Duration.between(t0, Instant.now()).toNanos() / 1e9;
        // the plan is worth reading once the sender has measured its rate over a few of its reports (every 5 s)
        Thread.sleep(Math.max(0, 15_000 - Duration.between(t0, Instant.now()).toMillis()));
        var http = java.net.http.HttpClient.newHttpClient();
        var estimates = new java.util.LinkedHashMap<String, double[]>();
        for (String eventId : List.of(first, second)) {
            var answer = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(dispatcher
                            + "/v1/events/" + eventId + "/stats")).header("Authorization", "Bearer " + adminKey).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            if (answer.statusCode() != 200) {
                throw new IllegalStateException("stats of " + eventId + ": HTTP " + answer.statusCode() + " "
                        + answer.body());
            }
            var stats = Json.mapper().readTree(answer.body());
            double at = Duration.between(t0, Instant.parse(stats.get("at").asText())).toNanos() / 1e9;
            estimates.put(eventId, new double[] {at, stats.path("backlog").path("SMS").asDouble(),
                    stats.path("estimatedDrainSeconds").path("SMS").asDouble(Double.NaN)});
        }
        double channelAt;
        double channelDrain;
        try (var plan = db.prepareStatement("SELECT drain_seconds, at FROM dispatcher.channel_backlog"
                + " WHERE channel = 'SMS' AND event_id = ''");
             var rows = plan.executeQuery()) {
            rows.next();
            channelDrain = rows.getDouble(1);
            channelAt = Duration.between(t0, rows.getTimestamp(2).toInstant()).toNanos() / 1e9;
        }
        System.out.printf(Locale.ROOT, "per event: %,d SMS of one event, then %,d of another behind them (both"
                + " dispatched %.1f s after the first revision); the channel's whole queue, in the sender's plan at"
                + " %.1f s: %.1f s to drain -> predicted end %.1f s%n", large, small, dispatched, channelAt,
                channelDrain, channelAt + channelDrain);
        for (var entry : estimates.entrySet()) {
            int jobsOf = entry.getKey().equals(first) ? large : small;
            double[] e = entry.getValue();
            double last = awaitHandled(entry.getKey(), jobsOf, t0, Duration.ofMinutes(30));
            double predicted = e[0] + e[2];
            System.out.printf(Locale.ROOT, "  %-5s event, %,d SMS: its statistics at %.1f s said %,.0f waiting, last"
                    + " sent in %.1f s -> predicted end %.1f s; actual end %.1f s; error %+.1f%% (the whole queue's"
                    + " estimate: %+.1f%%)%n", entry.getKey().equals(first) ? "large" : "small", jobsOf, e[0], e[1],
                    e[2], predicted, last, (predicted - last) / last * 100,
                    (channelAt + channelDrain - last) / last * 100);
        }
        DispatcherBench.forget(db, first);
        DispatcherBench.forget(db, second);
    }

    /**
     * An emergency during an announcement (ADR 5): {@code n} SMS of a MODERATE outage queued at the channel's limit,
     * then an EXTREME alert to a hundredth as many people. The time from the emergency's revision to its last SMS
     * sent, beside the time the announcement's queue still needed, which the emergency would have waited for on one
     * topic.
     */
    private static void overtaking(String bootstrap, int n, double rate) throws Exception {
        int few = Math.max(10, n / 100);
        DispatcherBench.seed(db, n);
        String run = UUID.randomUUID().toString().substring(0, 8);
        String announcement = "bench-announcement-" + run;
        String emergency = "bench-emergency-" + run;
        Instant t0 = Instant.now();
        Instant t1;
        try (var producer = KafkaLimit.producer(bootstrap)) {
            DispatcherBench.dispatch(db, producer, announcement, 1, n);
            // a few seconds into the announcement's sending, the emergency
            Thread.sleep(5_000);
            t1 = Instant.now();
            DispatcherBench.dispatch(db, producer, DispatcherBench.event(emergency,
                    org.allerta.contracts.Severity.EXTREME, org.allerta.contracts.Urgency.IMMEDIATE), 1, few);
        }
        double emergencyLast = awaitHandled(emergency, few, t1, Duration.ofMinutes(30));
        double announcementLast = awaitHandled(announcement, n, t0, Duration.ofMinutes(30));
        double queueLeft = announcementLast - Duration.between(t0, t1).toNanos() / 1e9;
        System.out.printf(Locale.ROOT, "an emergency of %,d SMS published %.1f s into an announcement of %,d SMS at"
                + " %.0f/s: its last SMS sent %.1f s after its revision was published; the announcement's queue then"
                + " still took %.1f s (its last SMS %.1f s after its own revision), which the emergency would have"
                + " waited for behind it on one topic%n", few, Duration.between(t0, t1).toNanos() / 1e9, n, rate,
                emergencyLast, queueLeft, announcementLast);
        DispatcherBench.forget(db, announcement);
        DispatcherBench.forget(db, emergency);
    }
}
