package org.allerta.matcher.matching;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Change;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.Json;
import org.allerta.contracts.MatchChange;
import org.allerta.contracts.MatchProgress;
import org.allerta.contracts.ProgressPhase;
import org.allerta.contracts.Severity;
import org.allerta.contracts.Topics;
import org.allerta.contracts.rules.Interests;
import org.allerta.contracts.rules.MatchRules;
import org.allerta.contracts.rules.Materiality;
import org.allerta.contracts.rules.RevisionOrder;
import org.allerta.service.Jdbc;
import org.allerta.service.RecordProducer;
import org.allerta.service.problem.Problem;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Matches each revision of {@code alerts.events} against the citizens' places in PostGIS and streams one
 * {@link MatchChange} per subscriber whose situation changed, prioritised subscribers first, following the shared
 * lifecycle rules ({@link MatchRules}, {@link Materiality}, {@link Interests}). "Inside" is {@code ST_Intersects}: a
 * place on the boundary or on a vertex is inside.
 *
 * <p>Order of work, so that a crash loses nothing, all in one transaction: who is inside is computed once into a
 * temporary table, the prioritised subscribers first (a short query of its own, so that their changes go out before
 * the area's everyone is known), then everyone else; the changes are streamed from it (a server-side cursor) and
 * sent, prioritised first; once the broker has
 * acknowledged every one of them, the new state (who is affected, the revision processed) is written from the same
 * table and committed, and only then the offset. A crash in between re-sends the same changes (same event, subscriber, change
 * and revision, hence the same job ids downstream), never skips anyone. A revision older than the one processed is
 * ignored.
 */
@ApplicationScoped
public class EventMatcher {

    private static final int FETCH = 5000;
    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(EventMatcher.class);

    private final Jdbc jdbc;
    private final RecordProducer producer;
    private final int firstSlice;

    EventMatcher(Jdbc jdbc, RecordProducer producer,
                 @ConfigProperty(name = "allerta.matcher.first-slice") int firstSlice) {
        this.jdbc = jdbc;
        this.producer = producer;
        this.firstSlice = firstSlice;
    }

    private static final org.allerta.service.geometry.AreaValidator AREAS =
            new org.allerta.service.geometry.AreaValidator(Integer.MAX_VALUE);

    /** Handles one record of {@code alerts.events}. */
    public void handle(ConsumerRecord<String, byte[]> record) {
        AlertEvent event;
        try {
            event = Json.fromBytes(record.value() == null ? new byte[0] : record.value(), AlertEvent.class);
            if (event.area() == null) {
                throw new IllegalArgumentException("the event has no area");
            }
        } catch (IllegalArgumentException e) {
            producer.deadLetter(record, List.of(new DeadLetter.Problem(Problem.TYPE_PREFIX + "invalid-record",
                    "value", String.valueOf(e.getMessage()))));
            return;
        }
        // an area alert-intake would have refused (its checks, without its vertex limit, which an operator may raise)
        // is dead-lettered before anything is marked as under way or announced as started
        var issues = new java.util.ArrayList<org.allerta.service.problem.Problem.Issue>();
        AREAS.read(event.area(), "/area", issues);
        if (!issues.isEmpty()) {
            producer.deadLetter(record, issues.stream().map(i -> new DeadLetter.Problem(i.type(), i.where(),
                    i.why())).toList());
            return;
        }
        Optional<State> state = jdbc.inTransaction(c -> state(c, event.eventId()));
        Optional<AlertEvent> previous = state.map(State::alert);
        if (previous.isPresent() && !RevisionOrder.isNewer(event, previous.get())) {
            if (previous.get().revision() == event.revision()) {
                // matched already; its FINISHED may not have left (a crash or a broker refusal after the commit)
                jdbc.inTransaction(c -> finished(c, event.eventId())).ifPresent(done -> producer.sendAndWait(
                        Topics.ALERTS_PROGRESS, event.eventId(), done, progressId(event, "finished"), event.eventId()));
            }
            return;
        }
        match(event, previous.orElse(null), state.map(State::wasExtreme).orElse(false));
    }

    /** {@code wasExtreme}: the event was EXTREME at a revision matched before. */
    private void match(AlertEvent event, AlertEvent previous, boolean wasExtreme) {
        jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO matching_under_way (event_id, revision) VALUES (?, ?)
                    ON CONFLICT (event_id) DO UPDATE SET revision = greatest(matching_under_way.revision,
                        excluded.revision), since = now()""")) {
                s.setString(1, event.eventId());
                s.setLong(2, event.revision());
                s.executeUpdate();
            }
            return null;
        });
        producer.sendAndWait(Topics.ALERTS_PROGRESS, event.eventId(), new MatchProgress(event.eventId(),
                event.revision(), ProgressPhase.STARTED, Map.of(), 0, Instant.now()), progressId(event, "started"),
                event.eventId());
        boolean material = Materiality.isMaterial(previous, event);
        boolean everyone = Interests.overridden(event.kind(), event.severity());
        // a civil-protection event no longer EXTREME keeps those the override reached while they stay inside (they are
        // not "no longer affected" because the severity fell, and they hear its updates and its end); one that never
        // was EXTREME follows interests like any other
        boolean keepReached = !everyone && event.kind() == EventKind.CIVIL_PROTECTION && wasExtreme;
        Map<Change, AtomicLong> counts = new EnumMap<>(Change.class);
        AtomicReference<Exception> failure = new AtomicReference<>();
        AtomicLong placesInside = new AtomicLong();
        MatchProgress done = jdbc.inTransaction(c -> {
            MatchingLock.acquireShared(c);
            long t0 = System.nanoTime();
            createInside(c);
            // prioritised subscribers first: those inside, as soon as they are known; then, once everyone inside is
            // known, the prioritised who are no longer inside; then everyone else. Each pass is unsorted (no sort of a
            // million rows before the first change).
            // The prioritised who left are remembered (they are few) rather than found again by their flag, which
            // may change meanwhile.
            var toldFirst = new HashSet<String>();
            inside(c, event, everyone, keepReached, true);
            markEarly(c, 1);
            long tp = System.nanoTime();
            stream(c, event, Pass.PRIORITISED_INSIDE, material, counts, failure, placesInside, toldFirst);
            long tq = System.nanoTime();
            long ts = tq;
            // a new event has nobody who left: a first slice of everyone else inside goes out at once too, so that
            // the dispatcher starts while the rest of the area is computed
            if (previous == null && firstSlice > 0) {
                firstSlice(c, event, everyone, firstSlice);
                markEarly(c, 3);
                ts = System.nanoTime();
                stream(c, event, Pass.FIRST_SLICE, material, counts, failure, placesInside, toldFirst);
            }
            long t1 = System.nanoTime();
            inside(c, event, everyone, keepReached, false);
            if (previous != null) {
                indexInside(c);
            }
            stream(c, event, Pass.PRIORITISED_LEFT, material, counts, failure, placesInside, toldFirst);
            stream(c, event, Pass.EVERYONE_ELSE, material, counts, failure, placesInside, toldFirst);
            long t2 = System.nanoTime();
            producer.flush();
            if (failure.get() != null) {
                throw new IllegalStateException("matches not acknowledged: " + failure.get().getMessage(),
                        failure.get());
            }
            long t3 = System.nanoTime();
            Map<Change, Long> finished = new EnumMap<>(Change.class);
            counts.forEach((change, count) -> finished.put(change, count.get()));
            var progress = new MatchProgress(event.eventId(), event.revision(), ProgressPhase.FINISHED, finished,
                    placesInside.get(), Instant.now());
            save(c, event, previous == null, progress);
            try (PreparedStatement s = c.prepareStatement(
                    "DELETE FROM matching_under_way WHERE event_id = ? AND revision <= ?")) {
                s.setString(1, event.eventId());
                s.setLong(2, event.revision());
                s.executeUpdate();
            }
            if (LOG.isDebugEnabled()) {
                LOG.debugf("%s/%d: prioritised %d ms (query %d, sent %d; first slice query %d, sent %d), everyone %d"
                        + " ms, flush %d ms, save %d ms", event.eventId(), event.revision(), ms(t1 - t0), ms(tp - t0),
                        ms(tq - tp), ms(ts - tq), ms(t1 - ts), ms(t2 - t1), ms(t3 - t2), ms(System.nanoTime() - t3));
            }
            return progress;
        });
        producer.sendAndWait(Topics.ALERTS_PROGRESS, event.eventId(), done, progressId(event, "finished"),
                event.eventId());
    }

    /** The FINISHED marker of the revision last matched, as it was kept with the event's state. */
    private static Optional<MatchProgress> finished(Connection c, String eventId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT finished FROM event_state WHERE event_id = ?")) {
            s.setString(1, eventId);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() && rows.getBytes(1) != null
                        ? Optional.of(Json.fromBytes(rows.getBytes(1), MatchProgress.class)) : Optional.empty();
            }
        }
    }

    /**
     * Who is inside the revision's area now, one row per subscriber with their places inside, kept for the
     * transaction: the changes are streamed from it and the new state written from it, so each spatial query runs
     * once. {@code pass} is 1 for the prioritised (found first), 3 for a new event's first slice of everyone else,
     * 2 for the rest.
     */
    private static void createInside(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("""
                    CREATE TEMP TABLE inside_now (subscriber_id text NOT NULL, place_ids text[] NOT NULL,
                        places bigint NOT NULL, priority boolean NOT NULL, pass smallint NOT NULL) ON COMMIT DROP""");
            s.execute("CREATE TEMP TABLE inside_early (subscriber_id text PRIMARY KEY) ON COMMIT DROP");
        }
    }

    /**
     * Copies the subscribers of an early pass (the prioritised, the first slice) into {@code inside_early}, which the
     * later queries of {@code inside_now} exclude through its key. Excluding them through {@code inside_now} itself
     * let the planner scan all of them for each place inside whenever it misjudged the area as nearly empty, as it
     * does for a city far from where most places are (PostGIS keeps one histogram for the whole table): 3.2 s for
     * 10,000 places, quadratic in the area's size.
     */
    private static void markEarly(Connection c, int pass) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO inside_early SELECT subscriber_id FROM inside_now WHERE pass = ?")) {
            s.setInt(1, pass);
            s.executeUpdate();
        }
    }

    /**
     * Adds to {@code inside_now} the prioritised subscribers inside (from the few prioritised, through their places:
     * no scan of the area), or everyone inside not added yet. Everyone not added by the first query is considered by
     * the second, whatever changed in between, so nobody is missed or counted twice.
     */
    private static void inside(Connection c, AlertEvent event, boolean everyone, boolean keepReached,
                               boolean prioritised) throws SQLException {
        // everyone else's places inside: those of the whole area, or of its parts, each place once
        boolean parts = !prioritised && inParts(c, event);
        String placesInside = parts ? """
                (SELECT DISTINCT q.subscriber_id, q.place_id
                 FROM (SELECT ST_Subdivide(ST_SetSRID(ST_GeomFromGeoJSON(?), 4326), %d) AS part) area
                 JOIN place q ON ST_Intersects(q.geom, area.part))""".formatted(PART_VERTICES)
                : "place";
        String insideArea = parts ? "true" : "ST_Intersects(p.geom, ST_SetSRID(ST_GeomFromGeoJSON(?), 4326))";
        try (PreparedStatement s = c.prepareStatement(prioritised ? """
                INSERT INTO inside_now
                SELECT p.subscriber_id, array_agg(p.place_id ORDER BY p.place_id), count(*), true, 1
                FROM subscriber s JOIN place p ON p.subscriber_id = s.subscriber_id
                WHERE ST_Intersects(p.geom, ST_SetSRID(ST_GeomFromGeoJSON(?), 4326)) AND ? AND s.priority
                  AND (? OR s.followed_kinds @> ARRAY[?]::text[] OR (? AND EXISTS (SELECT 1 FROM affected a
                       WHERE a.event_id = ? AND a.subscriber_id = s.subscriber_id)))
                GROUP BY p.subscriber_id""" : """
                INSERT INTO inside_now
                SELECT p.subscriber_id, array_agg(p.place_id ORDER BY p.place_id), count(*), bool_or(s.priority), 2
                FROM %s p JOIN subscriber s ON s.subscriber_id = p.subscriber_id
                WHERE %s AND ?
                  AND (? OR s.followed_kinds @> ARRAY[?]::text[] OR (? AND EXISTS (SELECT 1 FROM affected a
                       WHERE a.event_id = ? AND a.subscriber_id = s.subscriber_id)))
                  AND NOT EXISTS (SELECT 1 FROM inside_early i WHERE i.subscriber_id = p.subscriber_id)
                GROUP BY p.subscriber_id""".formatted(placesInside, insideArea))) {
            // the area is the first parameter in each form (in the parts' FROM clause, or the whole's first condition)
            s.setString(1, Json.toString(event.area()));
            s.setBoolean(2, !event.status().ended());
            s.setBoolean(3, everyone);
            s.setString(4, event.kind().name());
            // those already in the affected set stay while inside, whatever they follow (see keepReached)
            s.setBoolean(5, keepReached);
            s.setString(6, event.eventId());
            s.executeUpdate();
        }
        if (!prioritised) {
            try (Statement s = c.createStatement()) {
                s.execute("ANALYZE inside_now");
            }
        }
    }

    /** Parts of at most this many vertices, when an area is matched in parts. */
    static final int PART_VERTICES = 256;
    /** An area of more vertices than this is matched in parts. */
    static final int DETAILED_VERTICES = 5_000;
    /** An area filling less of its bounding box than this is matched in parts. */
    static final double SPARSE_SHARE = 0.2;

    /**
     * Whether everyone inside the area is found through its parts ({@code ST_Subdivide}) rather than the whole: for a
     * very detailed area, whose every point test walks more edges, and for a thin or sprawling one (a band along a
     * river or a road), whose bounding box, all the spatial index can filter by, holds many places outside it. Measured
     * in PostGIS on two million points (benchmarks.md): a band filling 3 % of its box, 2,414 vertices, 0.37–0.41 s
     * whole, 0.15–0.18 s in parts; a province of 15,137 vertices, 1.42–1.57 s whole, 0.85–0.90 s in parts; but the
     * same province with 1,410 vertices, 0.84–0.96 s whole, 1.21–1.30 s in parts, so a compact area of ordinary detail
     * stays whole. A place on a line between two parts is found in both and counted once.
     */
    private static boolean inParts(Connection c, AlertEvent event) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                SELECT ST_NPoints(g) > ? OR ST_Area(g) < ? * ST_Area(ST_Envelope(g))
                FROM (SELECT ST_SetSRID(ST_GeomFromGeoJSON(?), 4326) AS g) a""")) {
            s.setInt(1, DETAILED_VERTICES);
            s.setDouble(2, SPARSE_SHARE);
            s.setString(3, Json.toString(event.area()));
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() && rows.getBoolean(1);
            }
        }
    }

    /**
     * Indexes {@code inside_now} by subscriber, for a revision after the first: the passes and the new state compare
     * it with the affected set of the revision before. That set may have been written moments ago (an update right
     * after a large event's first revision), before the statistics of {@code affected} know of it; the planner then
     * expects one row and joins the two sets row by row, a sequential scan of {@code inside_now} for each affected
     * subscriber: quadratic (one such statement ran for more than ten minutes at 100,000). With the index, the join
     * probes it instead.
     */
    private static void indexInside(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE INDEX ON inside_now (subscriber_id)");
        }
    }

    /**
     * Adds to {@code inside_now} (pass 3) up to {@code limit} subscribers inside who are not there yet, each with all
     * their places inside: found through the first places the spatial index gives, then through their own places.
     */
    private static void firstSlice(Connection c, AlertEvent event, boolean everyone, int limit) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO inside_now
                SELECT p.subscriber_id, array_agg(p.place_id ORDER BY p.place_id), count(*), bool_or(s.priority), 3
                FROM (SELECT DISTINCT q.subscriber_id
                      FROM (SELECT q.subscriber_id FROM place q JOIN subscriber t ON t.subscriber_id = q.subscriber_id
                            WHERE ? AND ST_Intersects(q.geom, ST_SetSRID(ST_GeomFromGeoJSON(?), 4326))
                              AND (? OR t.followed_kinds @> ARRAY[?]::text[])
                              AND NOT EXISTS (SELECT 1 FROM inside_early i WHERE i.subscriber_id = q.subscriber_id)
                            LIMIT ?) q) first
                JOIN place p ON p.subscriber_id = first.subscriber_id
                JOIN subscriber s ON s.subscriber_id = p.subscriber_id
                WHERE ST_Intersects(p.geom, ST_SetSRID(ST_GeomFromGeoJSON(?), 4326))
                GROUP BY p.subscriber_id""")) {
            String area = Json.toString(event.area());
            s.setBoolean(1, !event.status().ended());
            s.setString(2, area);
            s.setBoolean(3, everyone);
            s.setString(4, event.kind().name());
            s.setInt(5, limit);
            s.setString(6, area);
            s.executeUpdate();
        }
    }

    /** The subscribers {@code inside_now} added by one pass (its number in place of %d), with what they were. */
    private static final String INSIDE_OF_PASS = """
            SELECT i.subscriber_id, i.place_ids, i.priority, true, b.subscriber_id IS NOT NULL, i.places
            FROM inside_now i LEFT JOIN affected b ON b.event_id = ? AND b.subscriber_id = i.subscriber_id
            WHERE i.pass = %d""";

    /** The passes over the changes, in the order they are sent. */
    private enum Pass {
        /** The prioritised inside now (AFFECTED, UPDATED), known before everyone else inside. */
        PRIORITISED_INSIDE(INSIDE_OF_PASS.formatted(1)),
        /** A first slice of everyone else inside a new event's area, known before the rest of it. */
        FIRST_SLICE(INSIDE_OF_PASS.formatted(3)),
        /** The prioritised affected before and not inside now (NO_LONGER_AFFECTED, RESOLVED). */
        PRIORITISED_LEFT("""
                SELECT b.subscriber_id, b.place_ids, true, false, true, 0
                FROM affected b JOIN subscriber s ON s.subscriber_id = b.subscriber_id AND s.priority
                WHERE b.event_id = ?
                  AND NOT EXISTS (SELECT 1 FROM inside_now i WHERE i.subscriber_id = b.subscriber_id)"""),
        /** Everyone else, inside now or before (not sent yet). */
        EVERYONE_ELSE("""
                WITH before AS (SELECT subscriber_id, place_ids FROM affected WHERE event_id = ?),
                changes AS (
                    SELECT coalesce(i.subscriber_id, b.subscriber_id) AS subscriber_id,
                           coalesce(i.place_ids, b.place_ids) AS place_ids,
                           coalesce(i.priority, (SELECT s.priority FROM subscriber s
                                                 WHERE s.subscriber_id = b.subscriber_id), false) AS priority,
                           i.subscriber_id IS NOT NULL AS inside, b.subscriber_id IS NOT NULL AS was_inside,
                           coalesce(i.places, 0) AS places, i.pass
                    FROM inside_now i FULL JOIN before b ON b.subscriber_id = i.subscriber_id)
                SELECT subscriber_id, place_ids, priority, inside, was_inside, places FROM changes
                WHERE pass IS NULL OR pass = 2""");

        final String sql;

        Pass(String sql) {
            this.sql = sql;
        }
    }

    /**
     * Streams the changes of one pass. The subscribers of the prioritised passes who were no longer inside are added
     * to {@code toldFirst}; the last pass skips them.
     */
    private void stream(Connection c, AlertEvent event, Pass pass, boolean material,
                        Map<Change, AtomicLong> counts, AtomicReference<Exception> failure, AtomicLong placesInside,
                        Set<String> toldFirst) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(pass.sql)) {
            s.setFetchSize(FETCH);
            s.setString(1, event.eventId());
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    String subscriberId = rows.getString(1);
                    if (pass == Pass.PRIORITISED_LEFT) {
                        toldFirst.add(subscriberId);
                    } else if (pass == Pass.EVERYONE_ELSE && toldFirst.contains(subscriberId)) {
                        continue;
                    }
                    placesInside.addAndGet(rows.getLong(6));
                    Optional<Change> change = MatchRules.change(rows.getBoolean(5), rows.getBoolean(4),
                            event.status(), material);
                    if (change.isEmpty()) {
                        continue;
                    }
                    List<String> placeIds = List.of((String[]) rows.getArray(2).getArray());
                    var match = new MatchChange(event.eventId(), event.revision(), subscriberId, change.get(),
                            placeIds, rows.getBoolean(3), Instant.now());
                    counts.computeIfAbsent(change.get(), k -> new AtomicLong()).incrementAndGet();
                    producer.send(Topics.ALERTS_MATCHES, subscriberId, match,
                            event.eventId() + "/" + event.revision() + "/" + subscriberId, subscriberId,
                            (metadata, error) -> {
                                if (error != null) {
                                    failure.compareAndSet(null, error);
                                }
                            });
                }
            }
        }
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    private static String progressId(AlertEvent event, String phase) {
        return event.eventId() + "/" + event.revision() + "/" + phase;
    }

    /**
     * The new state, in the matching's transaction: who is affected now (from {@code inside_now}), the revision.
     * {@code first}: the matcher had no state for the event, so nobody is in its affected set yet.
     */
    private static void save(Connection c, AlertEvent event, boolean first, MatchProgress finished)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO event_state (event_id, revision, kind, status, severity, sent_at, alert, area, updated_at,
                                         finished, was_extreme)
                VALUES (?, ?, ?, ?, ?, ?, ?, CASE WHEN ? THEN ST_SetSRID(ST_GeomFromGeoJSON(?), 4326) END, now(),
                        ?::jsonb, ?)
                ON CONFLICT (event_id) DO UPDATE SET revision = excluded.revision, kind = excluded.kind,
                    status = excluded.status, severity = excluded.severity, sent_at = excluded.sent_at,
                    alert = excluded.alert, area = excluded.area, updated_at = now(),
                    finished = excluded.finished, was_extreme = event_state.was_extreme OR excluded.was_extreme""")) {
            s.setString(1, event.eventId());
            s.setLong(2, event.revision());
            s.setString(3, event.kind().name());
            s.setString(4, event.status().name());
            s.setString(5, event.severity().name());
            s.setTimestamp(6, event.sentAt() == null ? null : Timestamp.from(event.sentAt()));
            s.setBytes(7, Json.toBytes(event));
            s.setBoolean(8, !event.status().ended());
            s.setString(9, Json.toString(event.area()));
            s.setString(10, Json.toString(finished));
            s.setBoolean(11, event.severity() == Severity.EXTREME);
            s.executeUpdate();
        }
        long changed = 0;
        if (!first) {
            try (PreparedStatement s = c.prepareStatement("""
                    DELETE FROM affected a WHERE a.event_id = ?
                    AND NOT EXISTS (SELECT 1 FROM inside_now i WHERE i.subscriber_id = a.subscriber_id)""")) {
                s.setString(1, event.eventId());
                changed = s.executeUpdate();
            }
        }
        // in key order. A subscriber still inside with the same places keeps their row as it is; a new event's set
        // has nobody in it yet, so a plain insert (a million rows in 6.1 s, against 7.7 s with the conflict handling;
        // psql, the benchmark's database)
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO affected (event_id, subscriber_id, place_ids, since_revision)
                SELECT ?, subscriber_id, place_ids, ? FROM inside_now ORDER BY subscriber_id"""
                + (first ? "" : " ON CONFLICT (event_id, subscriber_id) DO UPDATE SET place_ids = excluded.place_ids"
                        + " WHERE affected.place_ids IS DISTINCT FROM excluded.place_ids"))) {
            s.setString(1, event.eventId());
            s.setLong(2, event.revision());
            changed += s.executeUpdate();
        }
        // the next revision, perhaps seconds away, joins this set: planned as if the set were still absent, its
        // prioritised pass scanned the whole set for each person inside (327 s after a million-place first revision)
        Jdbc.analyseIfGrown(c, "affected", changed);
    }

    /** The last revision matched of an event, and whether one of its revisions matched so far was EXTREME. */
    private record State(AlertEvent alert, boolean wasExtreme) {
    }

    private static Optional<State> state(Connection c, String eventId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT alert, was_extreme FROM event_state WHERE event_id = ?")) {
            s.setString(1, eventId);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() ? Optional.of(new State(Json.fromBytes(rows.getBytes(1), AlertEvent.class),
                        rows.getBoolean(2))) : Optional.empty();
            }
        }
    }

}
