package org.allerta.intake.event;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.Json;

/** The {@code event} and {@code event_revision} tables. */
@ApplicationScoped
public class EventRepository {

    /** The latest state of an event, as locked for a new revision. */
    public record Current(String eventId, String publisherId, long revision, Instant sentAt, String contentSha256,
                          AlertEvent alert) {
    }

    /** A line of a listing. */
    public record Summary(String eventId, String publisherId, String publisherEventId, long revision, EventKind kind,
                          EventStatus status, java.util.Map<String, String> headline, String areaDescription,
                          boolean test, Instant updatedAt) {
    }

    /** A page of a listing. */
    public record Page(List<Summary> items, int page, int size, long total) {
    }

    private static final String SELECT_CURRENT = "SELECT e.event_id, e.publisher_id, e.revision, e.sent_at,"
            + " e.content_sha256, r.alert FROM event e JOIN event_revision r ON r.event_id = e.event_id"
            + " AND r.revision = e.revision";

    /** Locks and returns the event of a publisher's id, if it exists. */
    public Optional<Current> lockByPublisherId(Connection c, String publisherId, String publisherEventId)
            throws SQLException {
        return current(c, SELECT_CURRENT + " WHERE e.publisher_id = ? AND e.publisher_event_id = ? FOR UPDATE OF e",
                publisherId, publisherEventId);
    }

    /** Locks and returns an event by its id. */
    public Optional<Current> lockById(Connection c, String eventId) throws SQLException {
        return current(c, SELECT_CURRENT + " WHERE e.event_id = ? FOR UPDATE OF e", eventId);
    }

    /**
     * The revisions of an event before {@code revision} that its publisher sent at this moment (to the microsecond the
     * database keeps), oldest first.
     */
    public List<AlertEvent> earlierSentAt(Connection c, String eventId, long revision, Instant sentAt)
            throws SQLException {
        var found = new ArrayList<AlertEvent>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT alert FROM event_revision
                WHERE event_id = ? AND revision < ?
                  AND (convert_from(alert, 'UTF8')::jsonb ->> 'sentAt')::timestamptz BETWEEN ? AND ?
                ORDER BY revision""")) {
            s.setString(1, eventId);
            s.setLong(2, revision);
            s.setTimestamp(3, Timestamp.from(sentAt.minusNanos(1000)));
            s.setTimestamp(4, Timestamp.from(sentAt.plusNanos(1000)));
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    found.add(Json.fromBytes(rows.getBytes(1), AlertEvent.class));
                }
            }
        }
        return found;
    }

    public Optional<AlertEvent> byId(Connection c, String eventId) throws SQLException {
        return current(c, SELECT_CURRENT + " WHERE e.event_id = ?", eventId).map(Current::alert);
    }

    /** Inserts revision 1; {@code json} is the revision as serialised for the topic. */
    public void insert(Connection c, AlertEvent alert, byte[] json, String contentSha256) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO event (event_id, publisher_id, publisher_event_id, revision, kind, status, sent_at,
                                   content_sha256, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, now())""")) {
            s.setString(1, alert.eventId());
            s.setString(2, alert.publisherId());
            s.setString(3, alert.publisherEventId());
            s.setLong(4, alert.revision());
            s.setString(5, alert.kind().name());
            s.setString(6, alert.status().name());
            s.setTimestamp(7, alert.sentAt() == null ? null : Timestamp.from(alert.sentAt()));
            s.setString(8, contentSha256);
            s.executeUpdate();
        }
        insertRevision(c, alert, json);
    }

    /** Stores revision n+1; {@code json} is the revision as serialised for the topic. */
    /** Moves the time the publisher last spoke of the event forward (a repeat of the same revision, sent later). */
    public void advanceSentAt(Connection c, String eventId, java.time.Instant sentAt) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "UPDATE event SET sent_at = ? WHERE event_id = ? AND (sent_at IS NULL OR sent_at < ?)")) {
            s.setTimestamp(1, Timestamp.from(sentAt));
            s.setString(2, eventId);
            s.setTimestamp(3, Timestamp.from(sentAt));
            s.executeUpdate();
        }
    }

    public void update(Connection c, AlertEvent alert, byte[] json, String contentSha256) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE event SET revision = ?, kind = ?, status = ?, sent_at = COALESCE(?, sent_at),
                                 content_sha256 = ?, updated_at = now()
                WHERE event_id = ?""")) {
            s.setLong(1, alert.revision());
            s.setString(2, alert.kind().name());
            s.setString(3, alert.status().name());
            s.setTimestamp(4, alert.sentAt() == null ? null : Timestamp.from(alert.sentAt()));
            s.setString(5, contentSha256);
            s.setString(6, alert.eventId());
            s.executeUpdate();
        }
        insertRevision(c, alert, json);
    }

    public Page list(Connection c, String publisherId, EventStatus status, EventKind kind, int page, int size)
            throws SQLException {
        String where = " WHERE (?::text IS NULL OR e.publisher_id = ?) AND (?::text IS NULL OR e.status = ?)"
                + " AND (?::text IS NULL OR e.kind = ?)";
        long total;
        try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM event e" + where)) {
            bind(s, publisherId, status, kind);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                total = rows.getLong(1);
            }
        }
        var items = new ArrayList<Summary>();
        // a listing line needs neither the area nor the long texts: up to 500 events of 900 KiB each would otherwise
        // come over whole, into the service's heap, to show a headline
        try (PreparedStatement s = c.prepareStatement("SELECT convert_to((convert_from(r.alert, 'UTF8')::jsonb"
                + " - 'area' - 'description')::text, 'UTF8'), e.updated_at FROM event e JOIN event_revision r"
                + " ON r.event_id = e.event_id AND r.revision = e.revision" + where
                + " ORDER BY e.updated_at DESC, e.event_id LIMIT ? OFFSET ?")) {
            bind(s, publisherId, status, kind);
            s.setInt(7, size);
            s.setLong(8, (long) page * size);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    AlertEvent a = Json.fromBytes(rows.getBytes(1), AlertEvent.class);
                    items.add(new Summary(a.eventId(), a.publisherId(), a.publisherEventId(), a.revision(), a.kind(),
                            a.status(), a.headline(), a.areaDescription(), a.test(),
                            rows.getTimestamp(2).toInstant()));
                }
            }
        }
        return new Page(items, page, size, total);
    }

    private static void bind(PreparedStatement s, String publisherId, EventStatus status, EventKind kind)
            throws SQLException {
        s.setString(1, publisherId);
        s.setString(2, publisherId);
        s.setString(3, status == null ? null : status.name());
        s.setString(4, status == null ? null : status.name());
        s.setString(5, kind == null ? null : kind.name());
        s.setString(6, kind == null ? null : kind.name());
    }

    private void insertRevision(Connection c, AlertEvent alert, byte[] json) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "INSERT INTO event_revision (event_id, revision, alert) VALUES (?, ?, ?)")) {
            s.setString(1, alert.eventId());
            s.setLong(2, alert.revision());
            s.setBytes(3, json);
            s.executeUpdate();
        }
    }

    private static Optional<Current> current(Connection c, String sql, String... parameters) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                s.setString(i + 1, parameters[i]);
            }
            try (ResultSet rows = s.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                Timestamp sent = rows.getTimestamp(4);
                return Optional.of(new Current(rows.getString(1), rows.getString(2), rows.getLong(3),
                        sent == null ? null : sent.toInstant(), rows.getString(5),
                        Json.fromBytes(rows.getBytes(6), AlertEvent.class)));
            }
        }
    }
}
