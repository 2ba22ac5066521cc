package org.allerta.dispatcher.dispatch;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Change;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.JobPurpose;
import org.allerta.contracts.Json;
import org.allerta.contracts.MatchChange;
import org.allerta.contracts.NotificationJob;
import org.allerta.contracts.PlaceCategory;
import org.allerta.contracts.rules.Interests;
import org.allerta.contracts.rules.JobIds;
import org.allerta.contracts.rules.Materiality;
import org.allerta.contracts.rules.NoticeRules;
import org.allerta.contracts.rules.NoticeRules.Action;
import org.allerta.contracts.rules.NoticeRules.Decision;
import org.allerta.contracts.rules.NoticeRules.Told;
import org.allerta.contracts.rules.QuietHours;
import org.allerta.contracts.rules.QuietHoursPolicy;
import org.allerta.dispatcher.events.StatsPending;
import org.allerta.dispatcher.registry.ErasureFence;
import org.allerta.dispatcher.render.NoticeInput;
import org.allerta.dispatcher.render.NoticeInput.PlaceRef;
import org.allerta.dispatcher.render.Rendered;
import org.allerta.dispatcher.render.Renderer;
import org.allerta.dispatcher.tracking.Tokens;
import org.allerta.service.ConsumerLoop;
import org.allerta.service.Jdbc;
import org.allerta.service.RecordProducer;
import org.allerta.service.problem.Problem;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Turns {@code alerts.matches} into notices, a batch at a time, with the shared rules: the kinds a person follows
 * (civil-protection EXTREME overrides), their verified channels, quiet hours (held, released, dropped), test events
 * never to citizens, priority first. What each person was told is kept in the ledger.
 *
 * <p>Exactly-once effect without an outbox: the batch's ledger rows are locked, its jobs are sent and every one
 * acknowledged by the broker, and only then are the ledger, the held notices and the job rows committed (and after
 * that the offsets). A crash anywhere in between leaves the ledger as it was, so the redelivered matches make the
 * same decisions and the same deterministic job ids ({@link JobIds}, under the service's key: {@link Tokens#keyedJobId}),
 * which the sender handles once. A match whose
 * revision was already applied to the ledger is recognised and ignored.
 */
@ApplicationScoped
public class MatchDispatcher {

    private final Jdbc jdbc;
    private final RecordProducer producer;
    private final Renderer renderer;
    private final Tokens tokens;
    private final Clock clock;
    private final StatsPending statsPending;
    private final String baseUrl;
    private final Duration revisionWait;
    /** When this process first found each revision that matches name missing (see {@link #stillWaiting}). */
    private final Map<Rev, Long> waitingSince = new ConcurrentHashMap<>();
    private final Duration noticeTtl;
    private final int batchSize;
    private final int consumers;

    MatchDispatcher(Jdbc jdbc, RecordProducer producer, Renderer renderer, Tokens tokens, Clock clock,
                    StatsPending statsPending,
                    @ConfigProperty(name = "allerta.dispatcher.public-base-url") String baseUrl,
                    @ConfigProperty(name = "allerta.dispatcher.revision-wait") Duration revisionWait,
                    @ConfigProperty(name = "allerta.dispatcher.notice-ttl") Duration noticeTtl,
                    @ConfigProperty(name = "allerta.dispatcher.batch-size") int batchSize,
                    @ConfigProperty(name = "allerta.dispatcher.consumers") int consumers) {
        this.jdbc = jdbc;
        this.producer = producer;
        this.renderer = renderer;
        this.tokens = tokens;
        this.clock = clock;
        this.statsPending = statsPending;
        this.baseUrl = org.allerta.dispatcher.tracking.Pages.publicBase(baseUrl);
        this.revisionWait = revisionWait;
        this.noticeTtl = noticeTtl;
        this.batchSize = batchSize;
        this.consumers = Math.max(1, consumers);
    }

    /** How many consumers of {@code alerts.matches} run side by side. */
    public int consumers() {
        return consumers;
    }

    /** How many matches one batch takes. */
    public int batchSize() {
        return batchSize;
    }

    /** One unit of work: a change for a subscriber, from the matcher or released from quiet hours. */
    record Work(String eventId, long revision, UUID subscriberId, Change change, List<String> placeIds,
                boolean priority, boolean released, Instant at) {

        Work(String eventId, long revision, UUID subscriberId, Change change, List<String> placeIds,
             boolean priority, boolean released) {
            this(eventId, revision, subscriberId, change, placeIds, priority, released, null);
        }

        Rev rev() {
            return new Rev(eventId, revision);
        }
    }

    /** A revision of an event. */
    record Rev(String eventId, long revision) implements Comparable<Rev> {
        @Override
        public int compareTo(Rev other) {
            int byEvent = compareEvents(eventId, other.eventId);
            return byEvent != 0 ? byEvent : Long.compare(revision, other.revision);
        }
    }

    /** Event ids in their order; a batch's are one instance per event (see canonical), compared without reading. */
    private static int compareEvents(String a, String b) {
        return a == b ? 0 : a.compareTo(b);
    }

    private record Key(String eventId, UUID subscriberId) {
    }

    /**
     * The order in which a batch writes its ledger rows: event, then subscriber as PostgreSQL orders a uuid (its bytes
     * unsigned, which is also the order of its text form).
     */
    private static final Comparator<Key> LEDGER_ORDER = (x, y) -> {
        int byEvent = compareEvents(x.eventId(), y.eventId());
        if (byEvent != 0) {
            return byEvent;
        }
        UUID a = x.subscriberId();
        UUID b = y.subscriberId();
        int high = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
        return high != 0 ? high : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
    };

    /** A ledger row as it stands during the batch. */
    private static final class Entry {
        Told told;
        long lastRevision;
        Change lastChange;
        /** The channel types the person was told the event on ({@link #bit}); {@link #UNKNOWN} for older rows. */
        int channels;
        /** The stays inside the area begun, each with an AFFECTED of its own (V14). */
        int stays;
        /** The matcher's time of the last change applied; null when unknown. */
        Instant lastAt;
        /** The revision of the last AFFECTED or UPDATED notice that went out to the person; 0 when unknown (V19). */
        long heard;
        boolean fresh;
        boolean dirty;

        Entry(Told told, long lastRevision, Change lastChange, int channels, boolean fresh) {
            this.told = told;
            this.lastRevision = lastRevision;
            this.lastChange = lastChange;
            this.channels = channels;
            this.fresh = fresh;
        }
    }

    /** The ledger's channels of a row written before it kept them. */
    private static final int UNKNOWN = -1;

    /** A channel type's bit in the ledger's {@code channels} (V11). */
    private static int bit(org.allerta.contracts.Channel type) {
        return 1 << type.ordinal();
    }

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(MatchDispatcher.class);

    /** Handles a batch of {@code alerts.matches}. */
    public void handle(List<ConsumerRecord<String, byte[]>> batch) {
        long t = System.nanoTime();
        try {
            handleBatch(batch);
        } finally {
            LOG.debugf("batch of %d matches in %d ms", batch.size(), (System.nanoTime() - t) / 1_000_000);
        }
    }

    private void handleBatch(List<ConsumerRecord<String, byte[]>> batch) {
        var work = new ArrayList<Work>();
        var sources = new HashMap<Work, ConsumerRecord<String, byte[]>>();
        var letters = new LinkedHashMap<ConsumerRecord<String, byte[]>, List<DeadLetter.Problem>>();
        var eventIds = new HashMap<String, String>();
        // the dead-lettered matches of each revision: the consumer is past them, as past the dispatched ones
        var past = new TreeMap<Rev, Long>();
        for (ConsumerRecord<String, byte[]> record : batch) {
            try {
                MatchChange match = Json.fromBytes(record.value() == null ? new byte[0] : record.value(),
                        MatchChange.class);
                // an id the dispatcher never gave names nobody it could tell; it still counts as dispatched
                UUID subscriber = uuidOrNull(match.subscriberId());
                if (match.revision() < 1) {
                    throw new IllegalArgumentException("revision must be >= 1");
                }
                var w = new Work(canonical(eventIds, match.eventId()), match.revision(), subscriber,
                        match.change(), match.placeIds(), match.priority(), false, match.at());
                work.add(w);
                sources.put(w, record);
            } catch (IllegalArgumentException | NullPointerException e) {
                letters.put(record, List.of(new DeadLetter.Problem(Problem.TYPE_PREFIX + "invalid-record",
                        "value", String.valueOf(e.getMessage()))));
                Rev named = namedRevision(record.value());
                if (named != null) {
                    past.merge(new Rev(canonical(eventIds, named.eventId()), named.revision()), 1L, Long::sum);
                }
            }
        }
        if (work.isEmpty()) {
            deadLetters(letters, past);
            return;
        }
        Map<Rev, AlertEvent> events = jdbc.inTransaction(c -> revisions(c, work));
        var ready = new ArrayList<Work>(work.size());
        long now = System.currentTimeMillis();
        var givenUp = new ArrayList<Work>();
        Work waiting = null;
        for (Work w : work) {
            if (events.containsKey(w.rev())) {
                if (!waitingSince.isEmpty()) {
                    waitingSince.remove(w.rev());
                }
                ready.add(w);
            } else if (stillWaiting(w.rev(), sources.get(w).timestamp(), now)) {
                // every missing revision of the batch is seen now, so that their waits run together
                waiting = waiting == null ? w : waiting;
            } else {
                givenUp.add(w);
            }
        }
        if (waiting != null) {
            throw new ConsumerLoop.RetryLater("waiting for revision " + waiting.revision() + " of "
                    + waiting.eventId());
        }
        for (Work w : givenUp) {
            letters.put(sources.get(w), List.of(new DeadLetter.Problem(Problem.TYPE_PREFIX + "unknown-revision",
                    "value", "revision " + w.revision() + " of event " + w.eventId()
                            + " never arrived on alerts.events within " + revisionWait)));
            past.merge(w.rev(), 1L, Long::sum);
        }
        dispatch(ready, events);
        // once the batch is through: a batch tried again (a revision awaited, the database away) does not write the
        // same dead letters again at each try
        deadLetters(letters, past);
    }

    /**
     * Writes a batch's dead letters, having first counted them with their revisions' dispatched changes: a revision
     * one of whose matches could not be dispatched is still complete once the consumer is past all of them (its
     * statistics name it as the last revision processed, and those after it can follow); the dead letter on
     * alerts.dlq says what was not dispatched. A batch read again after a crash between the two counts its dead
     * letters twice, which can only make a revision complete that was already past.
     */
    private void deadLetters(Map<ConsumerRecord<String, byte[]>, List<DeadLetter.Problem>> letters,
                             Map<Rev, Long> past) {
        if (!past.isEmpty()) {
            jdbc.inTransaction(c -> {
                countDispatched(c, past);
                return null;
            });
            statsPending.touch(past.keySet().stream().map(Rev::eventId).collect(Collectors.toSet()));
        }
        producer.deadLetters(letters);
    }

    /** The event and revision a match that cannot be read as a whole still names, or null. */
    static Rev namedRevision(byte[] value) {
        try {
            JsonNode tree = Json.fromBytes(value == null ? new byte[0] : value, JsonNode.class);
            JsonNode eventId = tree == null ? null : tree.get("eventId");
            JsonNode revision = tree == null ? null : tree.get("revision");
            if (eventId == null || !eventId.isTextual() || eventId.asText().isBlank() || revision == null
                    || !revision.canConvertToLong() || revision.asLong() < 1) {
                return null;
            }
            return new Rev(eventId.asText(), revision.asLong());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * Whether a match whose revision is not stored yet may still wait for it. The wait counts from the later of the
     * record's own time and the moment this process first found that revision missing: matches left on the topic
     * while the dispatcher, its broker or its database was away are older than the wait when they are read again,
     * and this process's copy of {@code alerts.events} (another consumer, started at the same time) needs its own
     * chance to catch up before a match is given up. The moment is kept per revision, so that the thousands of
     * matches of one revision wait together, and once given up, a match of it read again is given up at once.
     */
    private boolean stillWaiting(Rev rev, long recordTime, long now) {
        if (waitingSince.size() > 10_000) {
            // revisions given up long ago
            waitingSince.values().removeIf(since -> now - since > 24 * 3_600_000L);
        }
        long since = waitingSince.computeIfAbsent(rev, k -> now);
        return now - Math.max(recordTime, since) < revisionWait.toMillis();
    }

    /**
     * Sends the held notices whose quiet hours are over; returns how many notices were considered (at least
     * {@code limit} while more may be due).
     */
    public int releaseDue(int limit) {
        Instant now = clock.instant();
        int dropped = jdbc.inTransaction(c -> dropEndedBeforeTold(c, now, limit));
        List<Work> due = jdbc.inTransaction(c -> {
            var list = new ArrayList<Work>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT event_id, subscriber_id, change, revision, place_ids, priority FROM held h
                    WHERE release_at <= ?
                      -- a held AFFECTED whose event has ended is dropped (above, a page at a time), never sent
                      AND NOT (%s)
                    ORDER BY priority DESC, release_at LIMIT ?""".formatted(HELD_AFFECTED_OF_ENDED))) {
                s.setTimestamp(1, Timestamp.from(now));
                s.setInt(2, limit);
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        list.add(new Work(rows.getString(1), rows.getLong(4), rows.getObject(2, UUID.class),
                                Change.valueOf(rows.getString(3)), List.of((String[]) rows.getArray(5).getArray()),
                                rows.getBoolean(6), true));
                    }
                }
            }
            return list;
        });
        if (!due.isEmpty()) {
            dispatch(due, jdbc.inTransaction(c -> revisions(c, due)));
        }
        return dropped + due.size();
    }

    /** A held notice ({@code h}) that is an AFFECTED of an event a newer stored revision has ended. */
    private static final String HELD_AFFECTED_OF_ENDED = """
            h.change = 'AFFECTED' AND EXISTS (SELECT 1 FROM event_revision r WHERE r.event_id = h.event_id
                                              AND r.revision > h.revision AND r.status IN ('RESOLVED', 'CANCELLED'))""";

    /**
     * Rule 7 at release time: a held AFFECTED whose event has already ended (a newer revision RESOLVED or CANCELLED
     * is stored, its matches still on their way behind a backlog) is dropped instead of sent, and the person left
     * untold, so that the end's match then has nothing to say either. Ledger rows are locked first, in the order the
     * batches take them.
     */
    private static int dropEndedBeforeTold(Connection c, Instant now, int limit) throws SQLException {
        ErasureFence.pass(c);
        var events = new ArrayList<String>();
        var people = new ArrayList<UUID>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT l.event_id, l.subscriber_id FROM ledger l
                JOIN (SELECT h.event_id, h.subscriber_id FROM held h
                      WHERE h.release_at <= ? AND %s
                      LIMIT ?) d ON l.event_id = d.event_id AND l.subscriber_id = d.subscriber_id
                WHERE l.told = 'AFFECTED_HELD'
                ORDER BY l.event_id, l.subscriber_id
                FOR UPDATE OF l""".formatted(HELD_AFFECTED_OF_ENDED))) {
            s.setTimestamp(1, Timestamp.from(now));
            s.setInt(2, limit);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    events.add(rows.getString(1));
                    people.add(rows.getObject(2, UUID.class));
                }
            }
        }
        if (events.isEmpty()) {
            return 0;
        }
        java.sql.Array eventArray = c.createArrayOf("text", events.toArray());
        java.sql.Array peopleArray = c.createArrayOf("uuid", people.toArray());
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE ledger l SET told = 'NOTHING', updated_at = now()
                FROM unnest(?::text[], ?::uuid[]) AS k(e, p)
                WHERE l.event_id = k.e AND l.subscriber_id = k.p AND l.told = 'AFFECTED_HELD'""");
             PreparedStatement d = c.prepareStatement("""
                DELETE FROM held h USING unnest(?::text[], ?::uuid[]) AS k(e, p)
                WHERE h.event_id = k.e AND h.subscriber_id = k.p AND h.change = 'AFFECTED'""")) {
            s.setArray(1, eventArray);
            s.setArray(2, peopleArray);
            s.executeUpdate();
            d.setArray(1, eventArray);
            d.setArray(2, peopleArray);
            d.executeUpdate();
        }
        return events.size();
    }

    private void dispatch(List<Work> work, Map<Rev, AlertEvent> events) {
        if (work.isEmpty()) {
            return;
        }
        Instant now = clock.instant();
        var positions = new JobPositions();
        try {
            dispatchInTransaction(work, events, now, positions);
        } catch (RuntimeException e) {
            if (Jdbc.isUniqueViolation(e)) {
                throw new ConsumerLoop.RetryLater("another transaction wrote ledger rows of this batch meanwhile");
            }
            throw e;
        }
        statsPending.touch(work.stream().map(Work::eventId).collect(Collectors.toSet()));
    }

    private void dispatchInTransaction(List<Work> work, Map<Rev, AlertEvent> events, Instant now,
                                       JobPositions positions) {
        jdbc.inTransaction(c -> {
            long t0 = System.nanoTime();
            // an erasure waits until this batch has committed, then deletes what it wrote
            ErasureFence.pass(c);
            Map<Key, Entry> ledger = lockLedger(c, work);
            Set<Work> gone = noLongerHeld(c, work);
            Map<Rev, AlertEvent> heard = heardBeforeReturning(c, work, ledger, events);
            Map<UUID, Person> people = people(c, work);
            Map<String, String> publishers = publishers(c, events.values());
            long t1 = System.nanoTime();
            var outcome = new Outcome();
            outcome.expiries = latestExpiries(c, events.values());
            outcome.now = now;
            outcome.heard = heard;
            for (Work w : work) {
                AlertEvent event = events.get(w.rev());
                Person person = people.get(w.subscriberId());
                Key key = new Key(w.eventId(), w.subscriberId());
                if (w.released()) {
                    if (gone.contains(w)) {
                        continue;
                    }
                    outcome.unhold.add(new Held(w, null));
                }
                if (!w.released() && !alreadyApplied(ledger.get(key), w)) {
                    outcome.dispatched.merge(w.rev(), 1L, Long::sum);
                }
                if (event == null || person == null) {
                    continue;
                }
                Entry entry = ledger.computeIfAbsent(key, k -> new Entry(Told.NOTHING, 0, null, 0, true));
                if (!NoticeRules.reachesCitizens(event)) {
                    withhold(w, entry, outcome);
                    continue;
                }
                if (w.released()) {
                    release(w, event, person, entry, publishers, now, outcome);
                } else {
                    decide(w, event, person, entry, publishers, now, outcome);
                }
            }
            long t2 = System.nanoTime();
            // the broker takes the jobs while the database takes the rows; the transaction commits only once every
            // job is acknowledged
            AtomicReference<Exception> failure = send(outcome.jobs, positions);
            long t3 = System.nanoTime();
            write(c, ledger, outcome);
            long t4 = System.nanoTime();
            awaitAcknowledgements(failure);
            // where the jobs landed, with them: an event's send plan never rests on positions older than its jobs
            if (!positions.isEmpty()) {
                positions.write(c);
            }
            LOG.debugf("read %d ms, decide+render %d ms, send %d ms, write %d ms, acknowledgements %d ms",
                    (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000, (t3 - t2) / 1_000_000, (t4 - t3) / 1_000_000,
                    (System.nanoTime() - t4) / 1_000_000);
            return null;
        });
    }

    /**
     * A change of a test event: nobody is told, and the change counts once as withheld. The ledger keeps the change
     * applied (the person still told nothing), so that the same match delivered again is not counted again.
     */
    private static void withhold(Work w, Entry entry, Outcome outcome) {
        if (alreadyApplied(entry, w)) {
            return;
        }
        outcome.testWithheld.merge(w.eventId(), 1L, Long::sum);
        applied(entry, w);
    }

    /** The ledger row keeps this change as the last applied, so that the same match delivered again is known. */
    private static void applied(Entry entry, Work w) {
        entry.lastRevision = w.revision();
        entry.lastChange = w.change();
        if (w.at() != null) {
            entry.lastAt = w.at();
        }
        entry.dirty = true;
    }

    private void decide(Work w, AlertEvent event, Person person, Entry entry, Map<String, String> publishers,
                        Instant now, Outcome outcome) {
        if (alreadyApplied(entry, w)) {
            return;
        }
        if (w.change() == Change.AFFECTED && !Interests.follows(person.interests(), event.kind(), event.severity())) {
            return;
        }
        Optional<Instant> holdUntil = QuietHoursPolicy.holdUntil(person.quietHours(), event.severity(),
                event.urgency(), now);
        Decision decision = NoticeRules.decide(entry.told, w.change(), holdUntil.isPresent());
        Told next = decision.next();
        if (w.change() == Change.AFFECTED
                && (decision.action() == Action.SEND || decision.action() == Action.HOLD)) {
            // a stay inside begins (rule 3: someone who left and came back is told again, with a notice of its own)
            entry.stays++;
        }
        switch (decision.action()) {
            case SEND -> {
                int emitted = jobs(w, event, person, entry, publishers, now, outcome);
                if (emitted == 0 && w.change() == Change.AFFECTED) {
                    if (awaitsChannel(person, event, outcome)) {
                        // no verified channel carries it yet, one that would awaits its code: told once it is
                        // confirmed (someone registered during the event)
                        outcome.hold(new Held(w, AWAITING_CHANNEL));
                        next = Told.AFFECTED_HELD;
                    } else {
                        next = entry.told;
                    }
                }
                outcome.supersede(w);
            }
            case HOLD -> {
                outcome.supersede(w);
                outcome.hold(new Held(w, holdUntil.get()));
            }
            case DROP_HELD -> {
                outcome.dropHeld(new Key(w.eventId(), w.subscriberId()));
                if (w.change() == Change.AFFECTED && changedSinceHeard(w, event, entry, outcome)) {
                    // back inside before the held end went out: AFFECTED is true again, but the event changed since
                    // the last notice they had (its UPDATED was held and gave way to the leave, or came while they
                    // were outside), so they hear that UPDATED now, or when their quiet hours end
                    Work update = asChange(w, Change.UPDATED);
                    if (holdUntil.isPresent()) {
                        outcome.hold(new Held(update, holdUntil.get()));
                    } else {
                        jobs(update, event, person, entry, publishers, now, outcome);
                    }
                }
            }
            // the held AFFECTED will be rendered from this newer revision
            case RENEW_HELD -> outcome.hold(new Held(asAffected(w), holdUntil.get()));
            case SEND_HELD -> {
                if (jobs(asAffected(w), event, person, entry, publishers, now, outcome) == 0) {
                    next = entry.told;
                    if (awaitsChannel(person, event, outcome)) {
                        outcome.hold(new Held(asAffected(w), AWAITING_CHANNEL));
                    }
                } else {
                    outcome.dropHeld(new Key(w.eventId(), w.subscriberId()));
                }
            }
            case NONE -> {
                // nothing to tell
            }
        }
        if (entry.fresh && !entry.dirty) {
            outcome.matched.merge(w.eventId(), 1L, Long::sum);
        }
        entry.told = next;
        applied(entry, w);
    }

    /** The AFFECTED notice a person has not heard yet, as this newer change's revision and places tell it. */
    private static Work asAffected(Work w) {
        return asChange(w, Change.AFFECTED);
    }

    /** Another notice of this change's revision and places. */
    private static Work asChange(Work w, Change change) {
        return new Work(w.eventId(), w.revision(), w.subscriberId(), change, w.placeIds(), w.priority(),
                w.released());
    }

    /**
     * True when the revision of this change tells something (rule 5) that the last notice the person had did not.
     * False when that notice is not known (a ledger row written before V19, or its revision no longer stored).
     */
    private static boolean changedSinceHeard(Work w, AlertEvent event, Entry entry, Outcome outcome) {
        AlertEvent heard = outcome.heard.get(new Rev(w.eventId(), entry.heard));
        return heard != null && Materiality.isMaterial(heard, event);
    }

    /**
     * The batch's revisions, and those last heard by the people whose AFFECTED of this batch may withdraw a held end
     * ({@link #changedSinceHeard}): read only for them, a few at most.
     */
    private static Map<Rev, AlertEvent> heardBeforeReturning(Connection c, List<Work> work, Map<Key, Entry> ledger,
                                                             Map<Rev, AlertEvent> events) throws SQLException {
        var wanted = new LinkedHashSet<Rev>();
        for (Work w : work) {
            if (w.released() || w.change() != Change.AFFECTED) {
                continue;
            }
            Entry entry = ledger.get(new Key(w.eventId(), w.subscriberId()));
            // whatever their state now: a leave held earlier in this same batch makes the AFFECTED a return too
            if (entry != null && entry.heard > 0) {
                Rev rev = new Rev(w.eventId(), entry.heard);
                if (!events.containsKey(rev)) {
                    wanted.add(rev);
                }
            }
        }
        if (wanted.isEmpty()) {
            return events;
        }
        var found = new HashMap<>(events);
        found.putAll(revisions(c, wanted));
        return found;
    }

    /**
     * One instance of each event id in a batch: its hash is computed once, and the ledger's order compares the
     * same instance without reading it.
     */
    private static String canonical(Map<String, String> eventIds, String eventId) {
        return eventIds.computeIfAbsent(eventId, id -> id);
    }

    /** Nobody: the subscriber of a match whose id the dispatcher never gave. */
    private static final UUID NOBODY = new UUID(0, 0);

    private static UUID uuidOrNull(String text) {
        try {
            return text == null ? NOBODY : UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            return NOBODY;
        }
    }

    /**
     * A notice no verified channel carries waits when a channel of the person that would carry it awaits its code,
     * unless the event has expired.
     */
    private static boolean awaitsChannel(Person person, AlertEvent event, Outcome outcome) {
        return !outcome.expired(event) && person.awaitsChannelFor(event.kind(), event.severity());
    }

    /**
     * The expiry of each event of these revisions as its latest revision says (null: none). The latest revision
     * decides, not the one a held notice names: an alert extended since (a new {@code expiresAt} is no material
     * change, so nothing renews the held notice) still holds, and one whose later revision set or brought forward
     * its expiry, now past, no longer does. Every event of the batch is asked (a probe of its latest revision each).
     */
    static Map<String, Instant> latestExpiries(Connection c, java.util.Collection<AlertEvent> revisions)
            throws SQLException {
        String[] events = revisions.stream().map(AlertEvent::eventId).distinct().toArray(String[]::new);
        var expiries = new HashMap<String, Instant>();
        if (events.length == 0) {
            return expiries;
        }
        try (PreparedStatement s = c.prepareStatement("""
                SELECT DISTINCT ON (event_id) event_id, expires_at FROM event_revision WHERE event_id = ANY (?)
                ORDER BY event_id, revision DESC""")) {
            s.setArray(1, c.createArrayOf("text", events));
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    java.sql.Timestamp expires = rows.getTimestamp(2);
                    expiries.put(rows.getString(1), expires == null ? null : expires.toInstant());
                }
            }
        }
        return expiries;
    }

    /**
     * A redelivered match: the ledger already holds this revision's change, a newer revision, or a later change of
     * this revision (the matcher's time says so: a person who left and came back, read again after a crash).
     */
    private static boolean alreadyApplied(Entry entry, Work w) {
        return entry != null && (entry.lastRevision > w.revision()
                || (entry.lastRevision == w.revision() && (entry.lastChange == w.change()
                        || (w.at() != null && entry.lastAt != null && !w.at().isAfter(entry.lastAt)))));
    }

    private void release(Work w, AlertEvent event, Person person, Entry entry, Map<String, String> publishers,
                         Instant now, Outcome outcome) {
        Optional<Instant> quiet = QuietHoursPolicy.holdUntil(person.quietHours(), event.severity(), event.urgency(),
                now).filter(end -> end.isAfter(now));
        if (quiet.isPresent()) {
            // released by a channel confirmed during the person's quiet hours: it waits for their end (rule 7)
            outcome.hold(new Held(w, quiet.get()));
            return;
        }
        int channelsBefore = entry.channels;
        long heardBefore = entry.heard;
        int emitted = jobs(w, event, person, entry, publishers, now, outcome);
        entry.dirty |= entry.channels != channelsBefore || entry.heard != heardBefore;
        if (emitted == 0 && entry.told == Told.AFFECTED_HELD && w.change() == Change.AFFECTED
                && awaitsChannel(person, event, outcome)) {
            // quiet hours are over, but no verified channel carries it yet: it waits for one that would
            outcome.hold(new Held(w, AWAITING_CHANNEL));
            return;
        }
        // a held AFFECTED that no channel carries any more leaves the person untold, as when it is sent
        Told next = emitted == 0 && entry.told == Told.AFFECTED_HELD ? Told.NOTHING : NoticeRules.released(entry.told);
        if (next != entry.told) {
            entry.told = next;
            entry.dirty = true;
        }
    }

    /**
     * Renders and queues one job per channel the notice goes on; returns how many. An AFFECTED notice goes on every
     * verified channel that carries the event's kind, and those channels are kept in the ledger entry. Its updates
     * and its end follow it on the same channels, as long as one of them is still verified: not on a channel added
     * since (that person would read an update of something never announced there), and still on a channel that
     * carried the notice only because the event was an emergency (the all-clear goes where the alarm went). When
     * none of them is left, they go on the channels that carry the event now, so that the person still hears it.
     */
    private int jobs(Work w, AlertEvent event, Person person, Entry entry, Map<String, String> publishers,
                     Instant now, Outcome outcome) {
        if (outcome.expired(event) && (w.change() == Change.AFFECTED || w.change() == Change.UPDATED)) {
            // an alert past its expiry is not announced or updated any more (a notice held for quiet hours, or
            // for a channel confirmed days later, would otherwise arrive after it ended); its end still is
            return 0;
        }
        int told = w.change() == Change.AFFECTED ? 0 : entry.channels;
        // the notices that begin and end a stay inside name it; the first stay's ids are those of rule 6
        int stay = w.change() == Change.AFFECTED || w.change() == Change.NO_LONGER_AFFECTED ? entry.stays : 1;
        boolean followsTold = false;
        if (told > 0) {
            for (Person.Reach reach : person.channels()) {
                followsTold |= (told & bit(reach.type())) != 0;
            }
        }
        int emitted = 0;
        int sentOn = 0;
        List<PlaceRef> places = new ArrayList<>();
        for (String placeId : w.placeIds()) {
            PlaceRef place = person.places().get(placeId);
            if (place != null) {
                places.add(place);
            }
        }
        ZoneId zone = person.quietHours() == null ? ZoneId.of("Europe/Rome") : person.quietHours().zone();
        Instant expires = now.plus(noticeTtl);
        Instant alertExpires = outcome.expiry(event);   // the latest revision's: an extension moves it
        if (alertExpires != null && alertExpires.isAfter(now) && alertExpires.isBefore(expires)) {
            expires = alertExpires;
        }
        for (Person.Reach reach : person.channels()) {
            boolean carries = followsTold ? (told & bit(reach.type())) != 0
                    : Interests.channelServes(reach.kinds(), event.kind(), event.severity());
            if (!carries) {
                continue;
            }
            String jobId = tokens.keyedJobId(JobIds.notice(w.eventId(), w.subscriberId().toString(), w.change(),
                    w.revision(), reach.type(), stay));
            UUID id = UUID.fromString(jobId);
            String token = tokens.token(id);
            String link = baseUrl + "/r/" + token;
            var input = new NoticeInput(person.name(), person.language(), zone, event, w.change(), places,
                    publishers.get(event.publisherId()), link, baseUrl + "/u/" + tokens.unsubscribeToken(id),
                    baseUrl + "/o/" + token + ".gif", now);
            Rendered message = renderer.notice(input, reach.type());
            var job = new NotificationJob(jobId, JobPurpose.NOTICE, reach.type(), w.eventId(), w.revision(),
                    w.change(), w.subscriberId().toString(), reach.address(), person.language(), message.subject(),
                    message.text(), message.html(), message.headers(), link, w.priority() || person.priority(),
                    expires, now);
            // a prioritised person, or an emergency (as grave as to wake people in their quiet hours), does not wait
            // behind the bulk of the notices on the channel. Its end does not overtake them: a RESOLVED or a
            // NO_LONGER_AFFECTED follows the person's earlier notices of the event on the bulk, where an AFFECTED
            // may still wait (the sender would drop that AFFECTED as overtaken, and the person hear of the end only)
            boolean ending = w.change() == Change.RESOLVED || w.change() == Change.NO_LONGER_AFFECTED;
            outcome.jobs.add(new JobRow(job, reach.channelId(), job.priority()
                    || (!ending && QuietHoursPolicy.bypasses(event.severity(), event.urgency()))));
            emitted++;
            sentOn |= bit(reach.type());
        }
        if (emitted > 0 && !followsTold) {
            entry.channels = sentOn;
        }
        if (emitted > 0 && (w.change() == Change.AFFECTED || w.change() == Change.UPDATED)) {
            entry.heard = w.revision();
        }
        return emitted;
    }

    /**
     * Sends the jobs, prioritised first, the urgent ones on their channel's urgent topic; what the broker refuses is
     * reported to the returned reference, where it put the others (on the bulk topics) to {@code positions}.
     */
    private AtomicReference<Exception> send(List<JobRow> jobs, JobPositions positions) {
        var failure = new AtomicReference<Exception>();
        jobs.sort(Comparator.comparing((JobRow r) -> !r.job().priority()));
        for (JobRow row : jobs) {
            NotificationJob job = row.job();
            boolean urgent = row.urgent();
            producer.send(job.channel().jobsTopic(urgent), job.subscriberId(), job, job.jobId(), job.eventId(),
                    (metadata, error) -> {
                        if (error != null) {
                            failure.compareAndSet(null, error);
                        } else if (!urgent) {
                            positions.acknowledged(job.eventId(), job.channel(), metadata);
                        }
                    });
        }
        return failure;
    }

    /** Waits until the broker has acknowledged every job sent; a refusal fails the batch (nothing is committed). */
    private void awaitAcknowledgements(AtomicReference<Exception> failure) {
        producer.flush();
        if (failure.get() != null) {
            throw new IllegalStateException("jobs not acknowledged: " + failure.get().getMessage(), failure.get());
        }
    }

    /**
     * The release time of an AFFECTED notice held for someone with no verified channel yet (registered while the
     * event was under way): far away, brought to now when a channel is verified ({@link #releaseAwaiting}).
     */
    public static final Instant AWAITING_CHANNEL = Instant.parse("9999-12-31T00:00:00Z");

    /**
     * A channel of this person was just verified (inside the caller's transaction): the notices held for want of one
     * go out at the next release.
     */
    public static void releaseAwaiting(Connection c, UUID subscriberId, Instant now) throws SQLException {
        // the literal, so that the partial index of V10 serves whatever the plan
        try (PreparedStatement s = c.prepareStatement("UPDATE held SET release_at = ? WHERE subscriber_id = ?"
                + " AND release_at = '9999-12-31 00:00:00+00'")) {
            s.setTimestamp(1, Timestamp.from(now));
            s.setObject(2, subscriberId);
            s.executeUpdate();
        }
    }

    /** A held notice to write or remove. */
    private record Held(Work work, Instant releaseAt) {
    }

    /** A held notice's key: one per event, person and change. */
    private record HeldKey(String eventId, UUID subscriberId, Change change) {
    }

    /**
     * Everything a batch changes. The held rows are written after the deletions, so a notice held earlier in the
     * batch and then dropped or superseded by a later change of the same person (both in one poll: a match that
     * waited for its revision comes back with the next one) is taken out of the batch's own holds as well.
     */
    private static final class Outcome {
        final List<JobRow> jobs = new ArrayList<>();
        final Map<HeldKey, Held> hold = new java.util.LinkedHashMap<>();
        final List<Held> supersede = new ArrayList<>();
        final List<Held> unhold = new ArrayList<>();
        final List<Key> dropHeld = new ArrayList<>();
        /** The expiry of each of the batch's events, as its latest revision says ({@link #latestExpiries}). */
        Map<String, Instant> expiries = Map.of();
        /** The batch's revisions and those last heard by people coming back inside ({@link #heardBeforeReturning}). */
        Map<Rev, AlertEvent> heard = Map.of();
        Instant now;

        /** The expiry of the alert: its latest revision's, else the one this revision gave. */
        Instant expiry(AlertEvent event) {
            return expiries.containsKey(event.eventId()) ? expiries.get(event.eventId()) : event.expiresAt();
        }

        /** True when the alert is past its expiry: it is no longer announced or updated, only its end is told. */
        boolean expired(AlertEvent event) {
            Instant expiry = expiry(event);
            return expiry != null && !expiry.isAfter(now);
        }

        void hold(Held held) {
            Work w = held.work();
            hold.put(new HeldKey(w.eventId(), w.subscriberId(), w.change()), held);
        }

        /** This newer change replaces a held UPDATED of the same person (rule 7), in the table and in this batch. */
        void supersede(Work w) {
            supersede.add(new Held(w, null));
            if (NoticeRules.supersedes(w.change(), Change.UPDATED)) {
                hold.remove(new HeldKey(w.eventId(), w.subscriberId(), Change.UPDATED));
            }
        }

        /** Every notice held for this person and event goes, in the table and in this batch. */
        void dropHeld(Key key) {
            dropHeld.add(key);
            for (Change change : Change.values()) {
                hold.remove(new HeldKey(key.eventId(), key.subscriberId(), change));
            }
        }

        // sorted: the consumers of alerts.matches update these shared rows concurrently, always in one order
        final Map<String, Long> matched = new TreeMap<>();
        final Map<String, Long> testWithheld = new TreeMap<>();
        final Map<Rev, Long> dispatched = new TreeMap<>();
    }

    private void write(Connection c, Map<Key, Entry> ledger, Outcome outcome) throws SQLException {
        var dirty = ledger.entrySet().stream().filter(e -> e.getValue().dirty)
                .sorted(Map.Entry.comparingByKey(LEDGER_ORDER)).toList();
        // rows the lookup did not find are inserted (a concurrent writer of the same key fails this batch, which is
        // then tried again), the rows it locked updated: no speculative insertion per row
        writeLedger(c, dirty.stream().filter(e -> e.getValue().fresh).toList(), LEDGER_INSERT);
        var locked = dirty.stream().filter(e -> !e.getValue().fresh).toList();
        if (!locked.isEmpty()) {
            probeByKey(c);
            writeLedger(c, locked, LEDGER_UPDATE);
            planAsUsual(c);
        }
        try (PreparedStatement drop = c.prepareStatement(
                "DELETE FROM held WHERE event_id = ? AND subscriber_id = ?");
             PreparedStatement unhold = c.prepareStatement(
                     "DELETE FROM held WHERE event_id = ? AND subscriber_id = ? AND change = ? AND revision = ?");
             PreparedStatement supersede = c.prepareStatement(
                     "DELETE FROM held WHERE event_id = ? AND subscriber_id = ? AND change = 'UPDATED'");
             PreparedStatement hold = c.prepareStatement("""
                     INSERT INTO held (event_id, subscriber_id, change, revision, place_ids, priority, release_at)
                     VALUES (?, ?, ?, ?, ?, ?, ?)
                     ON CONFLICT (event_id, subscriber_id, change) DO UPDATE SET revision = excluded.revision,
                         place_ids = excluded.place_ids, priority = excluded.priority,
                         release_at = excluded.release_at""")) {
            for (Key key : outcome.dropHeld) {
                drop.setString(1, key.eventId());
                drop.setObject(2, key.subscriberId());
                drop.addBatch();
            }
            drop.executeBatch();
            for (Held h : outcome.unhold) {
                unhold.setString(1, h.work().eventId());
                unhold.setObject(2, h.work().subscriberId());
                unhold.setString(3, h.work().change().name());
                unhold.setLong(4, h.work().revision());
                unhold.addBatch();
            }
            unhold.executeBatch();
            for (Held h : outcome.supersede) {
                if (NoticeRules.supersedes(h.work().change(), Change.UPDATED)) {
                    supersede.setString(1, h.work().eventId());
                    supersede.setObject(2, h.work().subscriberId());
                    supersede.addBatch();
                }
            }
            supersede.executeBatch();
            for (Held h : outcome.hold.values()) {
                hold.setString(1, h.work().eventId());
                hold.setObject(2, h.work().subscriberId());
                hold.setString(3, h.work().change().name());
                hold.setLong(4, h.work().revision());
                hold.setArray(5, c.createArrayOf("text", h.work().placeIds().toArray()));
                hold.setBoolean(6, h.work().priority());
                hold.setTimestamp(7, Timestamp.from(h.releaseAt()));
                hold.addBatch();
            }
            hold.executeBatch();
        }
        JobRow.insert(c, outcome.jobs);
        countDispatched(c, outcome.dispatched);
        var tallied = new TreeSet<String>(outcome.matched.keySet());
        tallied.addAll(outcome.testWithheld.keySet());
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO event_tally (event_id, matched, test_withheld) VALUES (?, ?, ?)
                ON CONFLICT (event_id) DO UPDATE SET matched = event_tally.matched + excluded.matched,
                    test_withheld = event_tally.test_withheld + excluded.test_withheld, updated_at = now()""")) {
            for (String eventId : tallied) {
                s.setString(1, eventId);
                s.setLong(2, outcome.matched.getOrDefault(eventId, 0L));
                s.setLong(3, outcome.testWithheld.getOrDefault(eventId, 0L));
                s.addBatch();
            }
            s.executeBatch();
        }
    }

    /** Adds to each revision's count of changes the consumer is past. */
    private static void countDispatched(Connection c, Map<Rev, Long> dispatched) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                INSERT INTO revision_dispatched (event_id, revision, changes) VALUES (?, ?, ?)
                ON CONFLICT (event_id, revision) DO UPDATE SET changes = revision_dispatched.changes
                    + excluded.changes""")) {
            for (var e : dispatched.entrySet()) {
                s.setString(1, e.getKey().eventId());
                s.setLong(2, e.getKey().revision());
                s.setLong(3, e.getValue());
                s.addBatch();
            }
            s.executeBatch();
        }
    }

    private static final String LEDGER_INSERT = """
            INSERT INTO ledger (event_id, subscriber_id, told, last_revision, last_change, channels, stays, last_at,
                                heard_revision, updated_at)
            SELECT e, s, t, r, ch, cs, st, la, h, now()
            FROM unnest(?::text[], ?::uuid[], ?::text[], ?::bigint[], ?::text[], ?::smallint[], ?::smallint[],
                        ?::timestamptz[], ?::bigint[])
                AS u(e, s, t, r, ch, cs, st, la, h)""";

    private static final String LEDGER_UPDATE = """
            UPDATE ledger l SET told = u.t, last_revision = u.r, last_change = u.ch, channels = u.cs, stays = u.st,
                last_at = u.la, heard_revision = u.h, updated_at = now()
            FROM unnest(?::text[], ?::uuid[], ?::text[], ?::bigint[], ?::text[], ?::smallint[], ?::smallint[],
                        ?::timestamptz[], ?::bigint[])
                AS u(e, s, t, r, ch, cs, st, la, h)
            WHERE l.event_id = u.e AND l.subscriber_id = u.s""";

    /** Writes these ledger entries with {@code sql}, which takes them as nine arrays of the same length. */
    private static void writeLedger(Connection c, List<Map.Entry<Key, Entry>> entries, String sql)
            throws SQLException {
        if (entries.isEmpty()) {
            return;
        }
        int n = entries.size();
        var events = new String[n];
        var subscribers = new UUID[n];
        var told = new String[n];
        var revisions = new Long[n];
        var changes = new String[n];
        var channels = new Short[n];
        var stays = new Short[n];
        var lastAt = new Timestamp[n];
        var heard = new Long[n];
        for (int i = 0; i < n; i++) {
            var e = entries.get(i);
            events[i] = e.getKey().eventId();
            subscribers[i] = e.getKey().subscriberId();
            told[i] = e.getValue().told.name();
            revisions[i] = e.getValue().lastRevision;
            changes[i] = e.getValue().lastChange == null ? Change.AFFECTED.name() : e.getValue().lastChange.name();
            channels[i] = e.getValue().channels == UNKNOWN ? null : (short) e.getValue().channels;
            stays[i] = (short) Math.min(Short.MAX_VALUE, e.getValue().stays);
            lastAt[i] = e.getValue().lastAt == null ? null : Timestamp.from(e.getValue().lastAt);
            heard[i] = e.getValue().heard == 0 ? null : e.getValue().heard;
        }
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setArray(1, c.createArrayOf("text", events));
            s.setArray(2, c.createArrayOf("uuid", subscribers));
            s.setArray(3, c.createArrayOf("text", told));
            s.setArray(4, c.createArrayOf("bigint", revisions));
            s.setArray(5, c.createArrayOf("text", changes));
            s.setArray(6, c.createArrayOf("int2", channels));
            s.setArray(7, c.createArrayOf("int2", stays));
            s.setArray(8, c.createArrayOf("timestamptz", lastAt));
            s.setArray(9, c.createArrayOf("bigint", heard));
            s.executeUpdate();
        }
    }

    private static Map<Key, Entry> lockLedger(Connection c, List<Work> work) throws SQLException {
        var keys = new LinkedHashMap<Key, Boolean>();
        for (Work w : work) {
            keys.put(new Key(w.eventId(), w.subscriberId()), true);
        }
        var events = keys.keySet().stream().map(Key::eventId).toArray(String[]::new);
        var subscribers = keys.keySet().stream().map(Key::subscriberId).toArray(UUID[]::new);
        var ledger = new HashMap<Key, Entry>();
        probeByKey(c);
        try (PreparedStatement s = c.prepareStatement(LEDGER_LOOKUP)) {
            s.setArray(1, c.createArrayOf("text", events));
            s.setArray(2, c.createArrayOf("uuid", subscribers));
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    short channels = rows.getShort(6);
                    var entry = new Entry(Told.valueOf(rows.getString(3)), rows.getLong(4),
                            Change.valueOf(rows.getString(5)), rows.wasNull() ? UNKNOWN : channels, false);
                    entry.stays = rows.getShort(7);
                    Timestamp lastAt = rows.getTimestamp(8);
                    entry.lastAt = lastAt == null ? null : lastAt.toInstant();
                    entry.heard = rows.getLong(9);
                    ledger.put(new Key(rows.getString(1), rows.getObject(2, UUID.class)), entry);
                }
            }
        }
        planAsUsual(c);
        return ledger;
    }

    /** The batch's ledger rows, locked: the events (1) and subscribers (2) as arrays of the same length. */
    static final String LEDGER_LOOKUP = """
            SELECT l.event_id, l.subscriber_id, l.told, l.last_revision, l.last_change, l.channels, l.stays,
                   l.last_at, l.heard_revision FROM ledger l
            JOIN unnest(?::text[], ?::uuid[]) AS k(e, s) ON l.event_id = k.e AND l.subscriber_id = k.s
            ORDER BY l.event_id, l.subscriber_id
            FOR UPDATE OF l""";

    /**
     * Until {@link #planAsUsual}, in this transaction: one index probe per key, whatever the planner makes of the
     * ledger's size. Left to itself it hashed the whole ledger for every batch (161 ms at 250,000 rows, and the
     * ledger grows with every batch of an event) rather than probe it 2,000 times (15 ms).
     */
    static void probeByKey(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off; "
                    + "SET LOCAL enable_seqscan = off");
        }
    }

    /** Back to the planner's own choices for the rest of the transaction. */
    static void planAsUsual(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("SET LOCAL enable_hashjoin TO DEFAULT; SET LOCAL enable_mergejoin TO DEFAULT; "
                    + "SET LOCAL enable_seqscan TO DEFAULT");
        }
    }

    /**
     * Of the released work, what is no longer held once the ledger rows are locked (a later change dropped or
     * superseded it meanwhile): it must not go out.
     */
    private static Set<Work> noLongerHeld(Connection c, List<Work> work) throws SQLException {
        List<Work> released = work.stream().filter(Work::released).toList();
        var gone = new HashSet<Work>(released);
        if (released.isEmpty()) {
            return gone;
        }
        var present = new HashSet<String>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT h.event_id, h.subscriber_id, h.change, h.revision FROM held h
                JOIN unnest(?::text[], ?::uuid[], ?::text[], ?::bigint[]) AS k(e, s, ch, r)
                  ON h.event_id = k.e AND h.subscriber_id = k.s AND h.change = k.ch AND h.revision = k.r""")) {
            s.setArray(1, c.createArrayOf("text", released.stream().map(Work::eventId).toArray()));
            s.setArray(2, c.createArrayOf("uuid", released.stream().map(Work::subscriberId).toArray()));
            s.setArray(3, c.createArrayOf("text", released.stream().map(w -> w.change().name()).toArray()));
            s.setArray(4, c.createArrayOf("bigint", released.stream().map(Work::revision).toArray()));
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    present.add(heldKey(rows.getString(1), rows.getObject(2, UUID.class), rows.getString(3),
                            rows.getLong(4)));
                }
            }
        }
        gone.removeIf(w -> present.contains(heldKey(w.eventId(), w.subscriberId(), w.change().name(), w.revision())));
        return gone;
    }

    private static String heldKey(String eventId, UUID subscriberId, String change, long revision) {
        return eventId + "\u0000" + subscriberId + "\u0000" + change + "\u0000" + revision;
    }

    /**
     * The batch's people, each with their verified channels and places as their dispatch card carries them
     * ({@link org.allerta.dispatcher.registry.Cards}): one row per person.
     */
    private static Map<UUID, Person> people(Connection c, List<Work> work) throws SQLException {
        UUID[] ids = work.stream().map(Work::subscriberId).distinct().toArray(UUID[]::new);
        var people = new HashMap<UUID, Person>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT subscriber_id, name, language, interests, priority, quiet_from, quiet_to, quiet_zone,
                       card_channels, card_places, card_awaiting
                FROM subscriber WHERE subscriber_id = ANY (?)""")) {
            s.setArray(1, c.createArrayOf("uuid", ids));
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    Set<EventKind> interests = EnumSet.noneOf(EventKind.class);
                    for (String kind : (String[]) rows.getArray(4).getArray()) {
                        interests.add(EventKind.valueOf(kind));
                    }
                    QuietHours quiet = rows.getTime(6) == null ? null : new QuietHours(
                            rows.getTime(6).toLocalTime(), rows.getTime(7).toLocalTime(), ZoneId.of(rows.getString(8)));
                    UUID id = rows.getObject(1, UUID.class);
                    people.put(id, new Person(id, rows.getString(2), rows.getString(3), interests,
                            rows.getBoolean(5), quiet, channels(rows.getString(9)), places(rows.getString(10)),
                            awaiting(rows.getString(11))));
                }
            }
        }
        return people;
    }

    private static List<Person.Reach> channels(String card) {
        var reach = new ArrayList<Person.Reach>();
        for (JsonNode channel : tree(card)) {
            reach.add(new Person.Reach(UUID.fromString(channel.path("id").asText()),
                    org.allerta.contracts.Channel.valueOf(channel.path("type").asText()),
                    channel.path("address").asText(), kinds(channel.path("kinds"))));
        }
        return reach;
    }

    private static List<Set<EventKind>> awaiting(String card) {
        var awaiting = new ArrayList<Set<EventKind>>();
        for (JsonNode kinds : tree(card)) {
            awaiting.add(kinds(kinds));
        }
        return awaiting;
    }

    /** A card's array of kinds, as a set (empty: every kind). */
    private static Set<EventKind> kinds(JsonNode array) {
        Set<EventKind> kinds = EnumSet.noneOf(EventKind.class);
        for (JsonNode kind : array) {
            kinds.add(EventKind.valueOf(kind.asText()));
        }
        return kinds;
    }

    private static Map<String, PlaceRef> places(String card) {
        var places = new LinkedHashMap<String, PlaceRef>();
        for (JsonNode place : tree(card)) {
            places.put(place.path("id").asText(), new PlaceRef(PlaceCategory.valueOf(place.path("category").asText()),
                    text(place.get("label")), text(place.get("address"))));
        }
        return places;
    }

    private static JsonNode tree(String json) {
        try {
            return Json.mapper().readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("unreadable dispatch card", e);
        }
    }

    private static String text(JsonNode node) {
        return node == null || node.isNull() ? null : node.asText();
    }

    private static Map<String, String> publishers(Connection c, java.util.Collection<AlertEvent> events)
            throws SQLException {
        String[] ids = events.stream().map(AlertEvent::publisherId).filter(java.util.Objects::nonNull).distinct()
                .toArray(String[]::new);
        var names = new HashMap<String, String>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT publisher_id, name FROM publisher_directory WHERE publisher_id = ANY (?)")) {
            s.setArray(1, c.createArrayOf("text", ids));
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    names.put(rows.getString(1), rows.getString(2));
                }
            }
        }
        return names;
    }

    /** The revisions the work names. */
    static Map<Rev, AlertEvent> revisions(Connection c, List<Work> work) throws SQLException {
        var keys = new LinkedHashSet<Rev>();
        for (Work w : work) {
            keys.add(w.rev());
        }
        return revisions(c, keys);
    }

    /** These revisions, those stored. */
    static Map<Rev, AlertEvent> revisions(Connection c, java.util.Collection<Rev> keys) throws SQLException {
        var events = new HashMap<Rev, AlertEvent>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT r.event_id, r.revision, r.alert FROM event_revision r
                JOIN unnest(?::text[], ?::bigint[]) AS k(e, v) ON r.event_id = k.e AND r.revision = k.v""")) {
            s.setArray(1, c.createArrayOf("text", keys.stream().map(Rev::eventId).toArray()));
            s.setArray(2, c.createArrayOf("bigint", keys.stream().map(Rev::revision).toArray()));
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    events.put(new Rev(rows.getString(1), rows.getLong(2)),
                            Json.fromBytes(rows.getBytes(3), AlertEvent.class));
                }
            }
        }
        return events;
    }
}
