package org.allerta.matcher.place;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.concurrent.Future;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.GeocodingStatus;
import org.allerta.contracts.Json;
import org.allerta.contracts.LonLat;
import org.allerta.contracts.PlaceGeocoded;
import org.allerta.contracts.SubscriberPlaces;
import org.allerta.contracts.Topics;
import org.allerta.matcher.geocoding.Geocoded;
import org.allerta.matcher.geocoding.Geocoder;
import org.allerta.service.ConsumerLoop;
import org.allerta.service.Jdbc;
import org.allerta.service.RecordProducer;
import org.allerta.service.problem.DatabaseErrors;
import org.allerta.service.problem.Problem;
import org.allerta.service.problem.ProblemException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.jboss.logging.Logger;

/**
 * Keeps the citizens' places of {@code subscribers.places}: each version replaces the subscriber's places (geocoded
 * against the gazetteer, or taken as given points) in one transaction; a tombstone erases the subscriber and their
 * places. Every place's outcome goes to {@code places.geocoded}, unresolved ones with their reason, so that the city's
 * app can tell the citizen; a place that arrives while events are active is matched against them at once
 * ({@link LateArrivals}). A record that is not a valid {@link SubscriberPlaces} is dead-lettered.
 */
@ApplicationScoped
public class PlaceService {

    private static final Logger LOG = Logger.getLogger(PlaceService.class);

    private final Jdbc jdbc;
    private final Geocoder geocoder;
    private final RecordProducer producer;
    private final LateArrivals lateArrivals;

    PlaceService(Jdbc jdbc, Geocoder geocoder, RecordProducer producer, LateArrivals lateArrivals) {
        this.jdbc = jdbc;
        this.geocoder = geocoder;
        this.producer = producer;
        this.lateArrivals = lateArrivals;
    }

    /** One record of {@code subscribers.places} that passed validation: places to store, or an erasure. */
    private record Update(ConsumerRecord<String, byte[]> record, String subscriberId, SubscriberPlaces places) {
        boolean erasure() {
            return places == null;
        }
    }

    /** Handles one record of {@code subscribers.places}. */
    public void handle(ConsumerRecord<String, byte[]> record) {
        handle(List.of(record));
    }

    /**
     * Handles a poll's records of {@code subscribers.places} in one transaction, each subscriber as its last record
     * in the poll says; the outcomes are then published and acknowledged, and the subscribers matched against the
     * active events (a bulk import of a city's citizens arrives as many records at once). Should the database refuse
     * the group for a reason other than being away, each record is stored in a transaction of its own, and a record
     * the database refuses on its own is dead-lettered with the database's reason (any other failure of one record
     * alone, with what failed): one record cannot hold back the others.
     */
    public void handle(List<ConsumerRecord<String, byte[]>> records) {
        var updates = new ArrayList<Update>();
        for (ConsumerRecord<String, byte[]> record : records) {
            Update update = read(record);
            if (update != null) {
                updates.add(update);
            }
        }
        if (updates.isEmpty()) {
            return;
        }
        try {
            apply(updates);
        } catch (RuntimeException e) {
            if (DatabaseErrors.isUnavailable(e) || e instanceof ConsumerLoop.RetryLater) {
                throw e;
            }
            LOG.warnf("a group of %d place records was refused (%s); storing them one by one", updates.size(),
                    e.getMessage());
            for (Update update : updates) {
                try {
                    apply(List.of(update));
                } catch (RuntimeException refused) {
                    if (DatabaseErrors.isUnavailable(refused) || refused instanceof ConsumerLoop.RetryLater) {
                        throw refused;
                    }
                    // the data refused by the database, or a fault of the matcher's own: either way the record is
                    // kept on the dead-letter topic with what happened, and consumption goes on
                    boolean data = DatabaseErrors.isRefusedData(refused)
                            || refused instanceof ProblemException p && p.problem().status() < 500;
                    producer.deadLetter(update.record(), List.of(data
                            ? reason("refused-by-database", "value", String.valueOf(refused.getMessage()))
                            : reason("not-stored", "value", refused.getClass().getSimpleName() + ": "
                                    + refused.getMessage())));
                }
            }
        }
    }

    /** The record as an update, or null once it was dead-lettered with its reason. */
    private Update read(ConsumerRecord<String, byte[]> record) {
        if (record.key() == null || record.key().isBlank()) {
            producer.deadLetter(record, List.of(reason("missing-key", "key",
                    "A subscribers.places record is keyed by its subscriber id.")));
            return null;
        }
        if (record.value() == null) {
            return new Update(record, record.key(), null);
        }
        SubscriberPlaces places;
        try {
            places = Json.fromBytes(record.value(), SubscriberPlaces.class);
        } catch (IllegalArgumentException e) {
            producer.deadLetter(record, List.of(reason("invalid-record", "value", e.getMessage())));
            return null;
        }
        if (!places.subscriberId().equals(record.key())) {
            producer.deadLetter(record, List.of(reason("key-mismatch", "key",
                    "The key must be the record's subscriberId.")));
            return null;
        }
        return new Update(record, record.key(), places);
    }

    /**
     * Stores the updates in one transaction, a statement per table for all of them: only the last update of each
     * subscriber counts (each version replaces the subscriber's places, an erasure removes them), then publishes the
     * geocoding outcomes and matches the subscribers against the active events.
     */
    private void apply(List<Update> updates) {
        var last = new LinkedHashMap<String, Update>();
        for (Update update : updates) {
            last.remove(update.subscriberId());
            last.put(update.subscriberId(), update);
        }
        List<Update> stored = last.values().stream().filter(u -> !u.erasure()).toList();
        List<String> erased = last.values().stream().filter(Update::erasure).map(Update::subscriberId).toList();
        List<PlaceGeocoded> outcomes = jdbc.inTransaction(c -> {
            if (!erased.isEmpty()) {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM subscriber WHERE subscriber_id = ANY (?)")) {
                    s.setArray(1, c.createArrayOf("text", erased.toArray()));
                    s.executeUpdate();
                }
                // nor is an erased person kept among the affected of the events
                try (PreparedStatement s = c.prepareStatement("""
                        DELETE FROM affected a USING event_state e
                        WHERE a.event_id = e.event_id AND a.subscriber_id = ANY (?)""")) {
                    s.setArray(1, c.createArrayOf("text", erased.toArray()));
                    s.executeUpdate();
                }
                // a revision being matched at this moment, which saw them inside, writes their row back when it
                // commits: they wait as late arrivals, whose next pass (never beside a matching) removes it silently
                LateArrivals.record(c, erased);
            }
            if (stored.isEmpty()) {
                return List.<PlaceGeocoded>of();
            }
            List<PlaceGeocoded> geocoded = store(c, stored.stream().map(Update::places).toList());
            // waiting to be matched against the active events from the moment their places are stored
            LateArrivals.record(c, stored.stream().map(Update::subscriberId).toList());
            return geocoded;
        });
        try {
            publish(outcomes);
        } catch (RuntimeException e) {
            // stored, but the outcomes did not reach the broker: the records are read again later (storing them
            // again changes nothing) rather than dead-lettered, and their outcomes published then
            throw new ConsumerLoop.RetryLater("places stored; their outcomes wait for the broker: " + e.getMessage());
        }
        lateArrivals.matchWaiting();
    }

    /**
     * Geocodes again, after the gazetteer changed, the places whose address could not be found and those left at
     * their street's centroid, a page at a time. Those placed better now (a house number where there was a centroid
     * or nothing; a street's centre moved more than {@value #CENTROID_MOVE_M} m by the new edition's numbers) are
     * stored with their point, their outcome published on places.geocoded (the city's app tells the citizen) and
     * their people matched against the active events again (a point that moved may enter or leave an area). Returns
     * how many were placed anew.
     */
    public long retryUnresolved() {
        refining.lock();
        try {
            return refine();
        } finally {
            refining.unlock();
        }
    }

    /** One refinement at a time in this service: the import's request waits for it, the scheduler does not. */
    private final java.util.concurrent.locks.ReentrantLock refining = new java.util.concurrent.locks.ReentrantLock();

    private long refine() {
        // the mark as it stands now: cleared at the end only if no import has marked again since
        Long mark = jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT (extract(epoch FROM since) * 1000000)::bigint FROM refinement_pending");
                 ResultSet rows = s.executeQuery()) {
                return rows.next() ? rows.getLong(1) : null;
            }
        });
        long resolved = 0;
        String[] after = {"", ""};
        while (true) {
            var outcomes = new ArrayList<PlaceGeocoded>();
            int read = jdbc.inTransaction(c -> {
                var page = new ArrayList<ToRefine>();
                try (PreparedStatement s = c.prepareStatement("""
                        SELECT subscriber_id, place_id, address, ST_X(geom), ST_Y(geom), matched_address FROM place
                        WHERE address IS NOT NULL AND (geom IS NULL OR geocoding_status = 'STREET_CENTROID')
                          AND (subscriber_id, place_id) > (?, ?)
                        ORDER BY subscriber_id, place_id LIMIT 500 FOR UPDATE SKIP LOCKED""")) {
                    s.setString(1, after[0]);
                    s.setString(2, after[1]);
                    try (ResultSet rows = s.executeQuery()) {
                        while (rows.next()) {
                            double lon = rows.getDouble(4);
                            LonLat centroid = rows.wasNull() ? null : new LonLat(lon, rows.getDouble(5));
                            page.add(new ToRefine(rows.getString(1), rows.getString(2), rows.getString(3), centroid,
                                    rows.getString(6)));
                        }
                    }
                }
                Instant now = Instant.now();
                var found = new java.util.LinkedHashSet<String>();
                try (PreparedStatement u = c.prepareStatement("""
                        UPDATE place SET geocoding_status = ?, matched_address = ?, confidence = ?, reason = ?,
                            geom = ST_SetSRID(ST_MakePoint(?, ?), 4326), updated_at = now()
                        WHERE subscriber_id = ? AND place_id = ?""")) {
                    for (ToRefine place : page) {
                        Geocoded geocoded = geocoder.geocode(c, place.address());
                        // a place at its street's centroid changes for its house, or for its own street's centre
                        // moved far (not for another street's: the same words may now fit a street elsewhere better)
                        if (geocoded.point() == null || (place.centroid() != null
                                && geocoded.status() != GeocodingStatus.RESOLVED
                                && (!java.util.Objects.equals(geocoded.matchedAddress(), place.matchedAddress())
                                    || metres(place.centroid(), geocoded.point()) <= CENTROID_MOVE_M))) {
                            continue;
                        }
                        u.setString(1, geocoded.status().name());
                        u.setString(2, geocoded.matchedAddress());
                        u.setDouble(3, geocoded.confidence());
                        u.setString(4, geocoded.reason());
                        u.setDouble(5, geocoded.point().lon());
                        u.setDouble(6, geocoded.point().lat());
                        u.setString(7, place.subscriberId());
                        u.setString(8, place.placeId());
                        u.addBatch();
                        found.add(place.subscriberId());
                        outcomes.add(new PlaceGeocoded(place.subscriberId(), place.placeId(), geocoded.status(),
                                geocoded.point(), geocoded.matchedAddress(), geocoded.confidence(), geocoded.reason(),
                                now));
                    }
                    u.executeBatch();
                }
                LateArrivals.record(c, List.copyOf(found));
                // on the topic before the page commits: should the broker be away, the page stays as it was and
                // the next refinement finds it again (an outcome published twice tells the app the same twice)
                publish(outcomes);
                if (!page.isEmpty()) {
                    after[0] = page.get(page.size() - 1).subscriberId();
                    after[1] = page.get(page.size() - 1).placeId();
                }
                return page.size();
            });
            resolved += outcomes.size();
            if (read < 500) {
                break;
            }
        }
        if (mark != null) {
            jdbc.inTransaction(c -> {
                // an import that marked again meanwhile (a later since) leaves its mark for the next refinement
                try (PreparedStatement s = c.prepareStatement(
                        "DELETE FROM refinement_pending WHERE (extract(epoch FROM since) * 1000000)::bigint = ?")) {
                    s.setLong(1, mark);
                    return s.executeUpdate();
                }
            });
        }
        if (resolved > 0) {
            lateArrivals.matchWaiting();
        }
        return resolved;
    }

    /**
     * Takes up a refinement an import left pending (cut short by the broker or the database away, or by a stop) once
     * its mark is older than {@code age}. Returns how many places were placed anew, or -1 when nothing was pending.
     */
    public long refinePending(java.time.Duration age) {
        if (!refining.tryLock()) {
            return -1;  // a refinement is under way; the mark is looked at again next time
        }
        try {
            boolean pending = jdbc.inTransaction(c -> {
                try (PreparedStatement s = c.prepareStatement(
                        "SELECT 1 FROM refinement_pending WHERE since < now() - make_interval(secs => ?)")) {
                    s.setDouble(1, age.toMillis() / 1000.0);
                    try (ResultSet rows = s.executeQuery()) {
                        return rows.next();
                    }
                }
            });
            return pending ? refine() : -1;
        } finally {
            refining.unlock();
        }
    }

    /** A place an import may place better: not found at all, or at its street's centroid (its point and street). */
    private record ToRefine(String subscriberId, String placeId, String address, LonLat centroid,
                            String matchedAddress) {
    }

    /**
     * How far a street's centre must move for the places at it to follow. A centroid stands for a whole street,
     * often hundreds of metres long; a few numbers added along it move the centre by less than that error, and
     * following them would only re-match people for nothing. A street extended into a new quarter moves it more.
     */
    static final int CENTROID_MOVE_M = 100;

    /** The distance between two nearby points, in metres (equirectangular: exact enough within a city). */
    static double metres(LonLat a, LonLat b) {
        double dLat = Math.toRadians(b.lat() - a.lat());
        double dLon = Math.toRadians(b.lon() - a.lon()) * Math.cos(Math.toRadians((a.lat() + b.lat()) / 2));
        return 6_371_000 * Math.hypot(dLat, dLon);
    }

    /** Puts the geocoding outcomes on places.geocoded and waits until the broker has them all. */
    private void publish(List<PlaceGeocoded> outcomes) {
        var acknowledgements = new ArrayList<Future<RecordMetadata>>();
        for (PlaceGeocoded outcome : outcomes) {
            acknowledgements.add(producer.send(Topics.PLACES_GEOCODED, outcome.subscriberId(), outcome,
                    outcome.subscriberId() + "/" + outcome.placeId() + "@" + outcome.at(), outcome.subscriberId()));
        }
        acknowledgements.forEach(RecordProducer::await);
    }

    /** Replaces the places of these subscribers (one version each); returns the geocoding outcomes. */
    private List<PlaceGeocoded> store(Connection c, List<SubscriberPlaces> versions) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO subscriber (subscriber_id, followed_kinds, priority, updated_at) VALUES (?, ?, ?, now())
                ON CONFLICT (subscriber_id) DO UPDATE SET followed_kinds = excluded.followed_kinds,
                    priority = excluded.priority, updated_at = now()""")) {
            for (SubscriberPlaces places : versions) {
                s.setString(1, places.subscriberId());
                s.setArray(2, c.createArrayOf("text",
                        places.followedKinds().stream().map(Enum::name).sorted().toArray()));
                s.setBoolean(3, places.priority());
                s.addBatch();
            }
            s.executeBatch();
        }
        try (PreparedStatement s = c.prepareStatement("DELETE FROM place WHERE subscriber_id = ANY (?)")) {
            s.setArray(1, c.createArrayOf("text", versions.stream().map(SubscriberPlaces::subscriberId).toArray()));
            s.executeUpdate();
        }
        var outcomes = new ArrayList<PlaceGeocoded>();
        Instant now = Instant.now();
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO place (subscriber_id, place_id, category, address, geocoding_status, matched_address,
                                   confidence, reason, geom)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, CASE WHEN ?::float8 IS NULL THEN NULL
                                                     ELSE ST_SetSRID(ST_MakePoint(?, ?), 4326) END)""")) {
            for (SubscriberPlaces places : versions) {
                for (SubscriberPlaces.Place place : places.places()) {
                    Geocoded geocoded = place.point() != null
                            ? new Geocoded(GeocodingStatus.POINT_GIVEN, place.point(), null, 1.0, null)
                            : geocoder.geocode(c, place.address());
                    s.setString(1, places.subscriberId());
                    s.setString(2, place.placeId());
                    s.setString(3, place.category().name());
                    s.setString(4, place.point() != null ? null : place.address());
                    s.setString(5, geocoded.status().name());
                    s.setString(6, geocoded.matchedAddress());
                    s.setDouble(7, geocoded.confidence());
                    s.setString(8, geocoded.reason());
                    if (geocoded.point() == null) {
                        s.setNull(9, java.sql.Types.DOUBLE);
                        s.setNull(10, java.sql.Types.DOUBLE);
                        s.setNull(11, java.sql.Types.DOUBLE);
                    } else {
                        s.setDouble(9, geocoded.point().lon());
                        s.setDouble(10, geocoded.point().lon());
                        s.setDouble(11, geocoded.point().lat());
                    }
                    s.addBatch();
                    outcomes.add(new PlaceGeocoded(places.subscriberId(), place.placeId(), geocoded.status(),
                            geocoded.point(), geocoded.matchedAddress(), geocoded.confidence(), geocoded.reason(),
                            now));
                }
            }
            s.executeBatch();
        }
        return outcomes;
    }

    private static DeadLetter.Problem reason(String slug, String where, String why) {
        return new DeadLetter.Problem(Problem.TYPE_PREFIX + slug, where, why);
    }
}
