package org.allerta.intake.cap;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.EventStatus;
import org.allerta.intake.event.EventInput;
import org.allerta.intake.event.EventRepository;
import org.allerta.intake.event.EventRepository.Current;
import org.allerta.intake.event.EventService;
import org.allerta.intake.event.Submission;
import org.allerta.intake.event.Submission.Outcome;
import org.allerta.intake.publisher.PublisherRecord;
import org.allerta.intake.publisher.Remit;
import org.allerta.service.Jdbc;
import org.allerta.service.geometry.AreaValidator;
import org.allerta.service.geometry.OutageArea;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;

/**
 * Links CAP messages into events by their references:
 * <ul>
 *   <li>an Alert starts an event (the same alert again is an identical repeat);</li>
 *   <li>an Update or Cancel becomes the next revision of the event it references; an Update whose original was never
 *       received starts a new event and remembers the reference, so that the original, if it arrives later, is
 *       folded into that event's history (answered 200, no new revision, never emitted);</li>
 *   <li>a Cancel of an unknown alert starts the event cancelled when it carries its {@code <info>}; without it
 *       (nothing to record) it is kept, and the alert it names starts cancelled when it arrives.</li>
 * </ul>
 * Each message is handled in one transaction with the event row locked, so repeats and races resolve to one outcome.
 */
@ApplicationScoped
public class CapService {

    private final Jdbc jdbc;
    private final EventService events;
    private final EventRepository repository;
    private final Remit remit;

    CapService(Jdbc jdbc, EventService events, EventRepository repository, Remit remit) {
        this.jdbc = jdbc;
        this.events = events;
        this.repository = repository;
        this.remit = remit;
    }

    public Submission submit(PublisherRecord publisher, CapAlert alert) {
        // a bare Cancel can only name this publisher's own alerts, which passed this check; an end (a Cancel with its
        // alert, an AllClear Update) is checked once the alert it follows is known, as a GeoJSON end is
        if (!alert.bareCancel() && !ending(alert)) {
            checkRemit(publisher, alert);
        }
        return jdbc.inTransactionRetryingConflicts(c -> handle(c, publisher, alert));
    }

    private static boolean ending(CapAlert alert) {
        return !alert.bareCancel() && alert.input().status() != EventStatus.ACTIVE;
    }

    private void checkRemit(PublisherRecord publisher, CapAlert alert) {
        remit.check(publisher, alert.input().kind(), "/alert/info[0]/category", alert.input().area(),
                "/alert/info/area");
    }

    private Submission handle(Connection c, PublisherRecord publisher, CapAlert alert) throws SQLException {
        String publisherId = publisher.publisherId();
        EventService.lock(c, publisherId + "\u001fcap");
        // named before by a later message (which may have written its sent with another offset), or received before
        Optional<Seen> seen = known(c, publisherId, alert.key());
        if (seen.isPresent()) {
            Current current = repository.lockById(c, seen.get().eventId()).orElseThrow();
            Outcome outcome = Outcome.UNCHANGED;
            if (seen.get().referencedOnly()) {
                markReceived(c, publisherId, seen.get().key());
                outcome = Outcome.FOLDED;
                endTheAlertItFollows(c, publisher, alert, current);
            }
            return new Submission(current.eventId(), current.revision(), current.alert().status(), outcome,
                    alert.bareCancel() ? List.of() : alert.input().area().normalisations());
        }
        Optional<Current> followed = Optional.empty();
        for (String reference : alert.references()) {
            Optional<Seen> referenced = known(c, publisherId, reference);
            if (referenced.isPresent()) {
                followed = repository.lockById(c, referenced.get().eventId());
                break;
            }
        }
        if (ending(alert) && !EventService.endsAsItStands(followed, alert.input())) {
            // the end of an active alert, of its kind and over its area, ends what was allowed when it began: a remit
            // narrowed since must not leave its people told that the alert goes on; any other end is checked
            checkRemit(publisher, alert);
        }
        Submission submission;
        // a publisher in test mode publishes tests only, whatever its messages say
        boolean test = alert.test() || publisher.testMode();
        if (followed.isPresent() && followed.get().alert().test() != test) {
            // CAP: a Test or Exercise message is disregarded by all, so it never changes a real alert (nor the
            // reverse)
            throw ProblemException.invalid("A test and a real alert do not follow each other.", List.of(Issue.of(
                    "cap-test-mismatch", "/alert/status", "The referenced alert is " + (test ? "real" : "a"
                            + " test") + "; a message with status " + (test ? "Test or Exercise" : "Actual")
                            + " cannot update or cancel it.")));
        }
        // a Cancel kept because it came before this message, or before one this message follows
        Optional<EarlyCancel> early = alert.bareCancel() ? Optional.empty() : earlyCancel(c, publisherId, alert, test);
        if (followed.isPresent()) {
            AlertEvent current = followed.get().alert();
            EventInput input;
            if (alert.bareCancel()) {
                input = cancelled(current, alert.key(), alert.sent(), alert.references());
            } else if (early.isEmpty()) {
                input = alert.input();
            } else if (current.sentAt() != null && alert.input().sentAt().isBefore(current.sentAt())) {
                // older than the event as it stands, this message alone would be stale: the event is cancelled as
                // it stands, not taken back to what this message said
                input = cancelled(current, early.get().cancelKeys().get(0), later(current.sentAt(),
                        early.get().sent()), alert.references());
            } else {
                input = cancelledToo(alert.input(), early.get());
            }
            submission = events.revise(c, publisher, followed.get(), input);
        } else if (alert.bareCancel()) {
            return keepEarly(c, publisherId, alert, test);
        } else {
            // a Cancel that carries its alert, arriving before the alert it cancels (another partition, a race of
            // two posts), starts the event as CANCELLED: nobody is told, and the late original is folded into it
            // instead of going live with nothing left to end it
            submission = events.create(c, publisher, early.map(e -> cancelledToo(alert.input(), e))
                    .orElse(alert.input()));
            for (String reference : alert.references()) {
                remember(c, publisherId, reference, submission.eventId(), true);
            }
        }
        if (early.isPresent()) {
            // the kept Cancels are applied: sent again, each names this event
            for (String cancelKey : early.get().cancelKeys()) {
                remember(c, publisherId, cancelKey, submission.eventId(), false);
            }
            forget(c, publisherId, alert, test);
        }
        remember(c, publisherId, alert.key(), submission.eventId(), false);
        return submission;
    }

    /**
     * A late message folded into the event a later one started, that itself follows an alert known under another
     * event (A, then U naming A, then X naming only U, where X came before U): the two events are one alert. When the
     * later one has ended, the alert it follows ends the same way, so that the people told about it hear its end; it
     * would otherwise stay active with nothing left to end it.
     */
    private void endTheAlertItFollows(Connection c, PublisherRecord publisher, CapAlert alert, Current later)
            throws SQLException {
        if (later.alert().status() == EventStatus.ACTIVE) {
            return;
        }
        for (String reference : alert.references()) {
            Optional<Seen> referenced = known(c, publisher.publisherId(), reference);
            if (referenced.isEmpty() || referenced.get().eventId().equals(later.eventId())) {
                continue;
            }
            Current followed = repository.lockById(c, referenced.get().eventId()).orElseThrow();
            AlertEvent current = followed.alert();
            if (current.status() == EventStatus.ACTIVE && current.test() == later.alert().test()) {
                Instant sent = current.sentAt() == null ? later.alert().sentAt()
                        : later(current.sentAt(), later.alert().sentAt());
                events.revise(c, publisher, followed, ended(current, later.alert().status(), alert.key(), sent,
                        alert.references()));
            }
            return;
        }
    }

    private record Seen(String key, String eventId, boolean referencedOnly) {
    }

    /** The bare Cancels kept because they came before the message they cancel, and the latest one's sent. */
    private record EarlyCancel(List<String> cancelKeys, Instant sent) {
    }

    /**
     * Keeps a Cancel without {@code <info>} whose references name nothing received yet: there is no area to record
     * an event with, and refusing it would let the alert go live when it comes, with nothing left to end it. Each
     * reference is remembered (by its instant, however its offset is written); the message it names starts, or
     * revises its event, cancelled when it arrives. The same Cancel again is the same answer.
     */
    private static Submission keepEarly(Connection c, String publisherId, CapAlert cancel, boolean test)
            throws SQLException {
        // stamped ahead, it would make the alert it names look sent in the future when it comes
        EventService.notFromTheFuture(cancel.sent(), "/alert/sent");
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO cap_cancel_early (publisher_id, cap_key, test, cancel_key, cancel_sent)
                VALUES (?, ?, ?, ?, ?) ON CONFLICT (publisher_id, cap_key, test, cancel_key) DO NOTHING""")) {
            for (String reference : cancel.references()) {
                s.setString(1, publisherId);
                s.setString(2, canonical(reference));
                s.setBoolean(3, test);
                s.setString(4, cancel.key());
                s.setTimestamp(5, java.sql.Timestamp.from(cancel.sent()));
                s.addBatch();
            }
            s.executeBatch();
        }
        return new Submission(null, 0, EventStatus.CANCELLED, Outcome.AWAITING_ORIGINAL, List.of());
    }

    /** The message's own key and its references, each with its sent as an instant. */
    private static Object[] canonicalKeys(CapAlert alert) {
        var keys = new java.util.ArrayList<String>();
        keys.add(canonical(alert.key()));
        alert.references().forEach(reference -> keys.add(canonical(reference)));
        return keys.toArray();
    }

    /** "sender,identifier,sent" with its sent written as a UTC instant; as it is if its sent does not read. */
    static String canonical(String key) {
        return sentOf(key).map(sent -> key.substring(0, key.lastIndexOf(',') + 1) + sent).orElse(key);
    }

    /** The instant a key's sent names, if it reads as a timestamp. */
    private static Optional<Instant> sentOf(String key) {
        int last = key.lastIndexOf(',');
        if (last < 0) {
            return Optional.empty();
        }
        try {
            return Optional.of(java.time.OffsetDateTime.parse(key.substring(last + 1).strip()).toInstant());
        } catch (java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /** The kept Cancels naming this message or one it references, of its kind (test or real); none if none. */
    private static Optional<EarlyCancel> earlyCancel(Connection c, String publisherId, CapAlert alert, boolean test)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                SELECT cancel_key, cancel_sent FROM cap_cancel_early
                WHERE publisher_id = ? AND cap_key = ANY (?) AND test = ?
                ORDER BY cancel_sent, cancel_key FOR UPDATE""")) {
            s.setString(1, publisherId);
            s.setArray(2, c.createArrayOf("text", canonicalKeys(alert)));
            s.setBoolean(3, test);
            var keys = new java.util.ArrayList<String>();
            Instant latest = null;
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    if (!keys.contains(rows.getString(1))) {
                        keys.add(rows.getString(1));
                    }
                    latest = rows.getTimestamp(2).toInstant();
                }
            }
            return keys.isEmpty() ? Optional.empty() : Optional.of(new EarlyCancel(List.copyOf(keys), latest));
        }
    }

    private static Instant later(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    /** The input, cancelled by a Cancel kept for it: at the later of the two messages' times. */
    private static EventInput cancelledToo(EventInput input, EarlyCancel early) {
        return input.withStatus(EventStatus.CANCELLED).withSentAt(later(input.sentAt(), early.sent()));
    }

    /**
     * The kept rows this message answers, now applied. Those of the same Cancel naming other messages stay: each is
     * applied when its own message comes.
     */
    private static void forget(Connection c, String publisherId, CapAlert alert, boolean test) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "DELETE FROM cap_cancel_early WHERE publisher_id = ? AND cap_key = ANY (?) AND test = ?")) {
            s.setString(1, publisherId);
            s.setArray(2, c.createArrayOf("text", canonicalKeys(alert)));
            s.setBoolean(3, test);
            s.executeUpdate();
        }
    }

    /** The event as it stands, cancelled by a Cancel that names only what it cancels. */
    private static EventInput cancelled(AlertEvent current, String key, Instant sent, List<String> references) {
        return ended(current, EventStatus.CANCELLED, key, sent, references);
    }

    /** The event as it stands, ended ({@code status}) by a message that does not say more. */
    private static EventInput ended(AlertEvent current, EventStatus status, String key, Instant sent,
                                    List<String> references) {
        var issues = new java.util.ArrayList<Issue>();
        OutageArea area = new AreaValidator(Integer.MAX_VALUE).read(current.area(), "/area", issues);
        if (area == null) {
            throw new IllegalStateException("the stored area of " + current.eventId() + " does not read: " + issues);
        }
        return new EventInput(key, current.kind(), status, current.severity(),
                current.urgency(), current.test(), area, current.areaDescription(),
                current.headline(), current.description(), current.startedAt(), current.expectedRestorationAt(),
                current.expiresAt(), sent, references, current.zone());
    }

    /** The message this key names, received or referenced, its sent written as it was or otherwise. */
    private static Optional<Seen> known(Connection c, String publisherId, String key) throws SQLException {
        return seen(c, publisherId, key).or(() -> sameMoment(c, publisherId, key));
    }

    private static Optional<Seen> seen(Connection c, String publisherId, String key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT event_id, referenced_only FROM cap_message"
                + " WHERE publisher_id = ? AND cap_key = ? FOR UPDATE")) {
            s.setString(1, publisherId);
            s.setString(2, key);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() ? Optional.of(new Seen(key, rows.getString(1), rows.getBoolean(2)))
                        : Optional.empty();
            }
        }
    }

    /**
     * A reference that names a known message's sender and identifier, and its {@code sent} at the same instant
     * written otherwise ("+01:00" for "Z" an hour later): the same message. Without this, a Cancel written so
     * would be taken for one that came before its alert, and the alert it meant would stay active.
     */
    private static Optional<Seen> sameMoment(Connection c, String publisherId, String reference) {
        if (sentOf(reference).isEmpty()) {
            return Optional.empty();
        }
        String wanted = canonical(reference);
        String prefix = reference.substring(0, reference.lastIndexOf(',') + 1);
        try (PreparedStatement s = c.prepareStatement("""
                SELECT cap_key, event_id, referenced_only FROM cap_message
                WHERE publisher_id = ? AND left(cap_key, ?) = ?""")) {
            s.setString(1, publisherId);
            s.setInt(2, prefix.length());
            s.setString(3, prefix);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    // a key whose sent is not a timestamp, or with more after the prefix, names another message
                    if (canonical(rows.getString(1)).equals(wanted)) {
                        return Optional.of(new Seen(rows.getString(1), rows.getString(2), rows.getBoolean(3)));
                    }
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
        return Optional.empty();
    }

    private static void remember(Connection c, String publisherId, String key, String eventId, boolean referencedOnly)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO cap_message (publisher_id, cap_key, event_id,"
                + " referenced_only) VALUES (?, ?, ?, ?) ON CONFLICT (publisher_id, cap_key) DO NOTHING")) {
            s.setString(1, publisherId);
            s.setString(2, key);
            s.setString(3, eventId);
            s.setBoolean(4, referencedOnly);
            s.executeUpdate();
        }
    }

    private static void markReceived(Connection c, String publisherId, String key) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE cap_message SET referenced_only = false, received_at"
                + " = now() WHERE publisher_id = ? AND cap_key = ?")) {
            s.setString(1, publisherId);
            s.setString(2, key);
            s.executeUpdate();
        }
    }
}
