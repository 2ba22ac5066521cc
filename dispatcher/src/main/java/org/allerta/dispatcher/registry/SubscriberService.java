package org.allerta.dispatcher.registry;

import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Time;
import java.sql.Timestamp;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.allerta.contracts.Change;
import org.allerta.contracts.Channel;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.GeocodingStatus;
import org.allerta.contracts.JobPurpose;
import org.allerta.contracts.LonLat;
import org.allerta.contracts.NotificationJob;
import org.allerta.contracts.PlaceCategory;
import org.allerta.contracts.PlaceGeocoded;
import org.allerta.contracts.SubscriberPlaces;
import org.allerta.contracts.Topics;
import org.allerta.contracts.rules.JobIds;
import org.allerta.dispatcher.dispatch.JobRow;
import org.allerta.dispatcher.events.StatsPending;
import org.allerta.dispatcher.registry.Registration.ChannelInput;
import org.allerta.dispatcher.registry.Registration.PlaceInput;
import org.allerta.dispatcher.registry.SubscriberView.ChannelView;
import org.allerta.dispatcher.registry.SubscriberView.PlaceView;
import org.allerta.dispatcher.render.Rendered;
import org.allerta.dispatcher.render.Renderer;
import org.allerta.service.ApiKeys;
import org.allerta.service.Jdbc;
import org.allerta.service.outbox.Outbox;
import org.allerta.service.problem.DatabaseErrors;
import org.allerta.service.problem.Problem;
import org.allerta.service.problem.ProblemException;

/**
 * The subscriber registry: registration (idempotent by the app's {@code externalId}), changes, double opt-in of
 * channels, erasure. Every change that the matcher must know leaves on {@code subscribers.places} through the outbox,
 * in the same transaction; verification codes leave the same way, as VERIFICATION jobs on the channel's topic.
 */
@ApplicationScoped
public class SubscriberService {

    static final Duration CODE_VALIDITY = Duration.ofHours(24);
    static final int MAX_CODE_ATTEMPTS = 5;
    static final int MAX_CODES = 5;
    /**
     * Codes sent to one address (whichever channel or person it is registered under) in {@link #CODES_WINDOW}, at
     * most: a channel removed and added again gets no fresh allowance of codes or of guesses.
     */
    static final int MAX_CODES_PER_ADDRESS = 10;
    /** The consent source of a channel verified by the code its person confirmed. */
    static final String DOUBLE_OPT_IN = "double opt-in";
    static final Duration CODES_WINDOW = Duration.ofDays(1);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String INSERT_SUBSCRIBER = """
            INSERT INTO subscriber (subscriber_id, external_id, name, language, interests, profile, priority,
                priority_consent_at, priority_consent_wording, quiet_from, quiet_to, quiet_zone, registration_sha256)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""";
    private static final String INSERT_CHANNEL = """
            INSERT INTO channel (channel_id, subscriber_id, position, type, address, kinds, verified_at,
                                 consent_source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (channel_id) DO UPDATE SET position = excluded.position, kinds = excluded.kinds,
                verified_at = coalesce(channel.verified_at, excluded.verified_at),
                codes_before = CASE WHEN channel.verified_at IS NULL AND excluded.verified_at IS NOT NULL
                                    THEN channel.codes_sent ELSE channel.codes_before END,
                consent_source = coalesce(channel.consent_source, excluded.consent_source)""";
    private static final String INSERT_PLACE = """
            INSERT INTO place (place_id, subscriber_id, position, label, category, address, lon, lat)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (place_id) DO UPDATE SET position = excluded.position, label = excluded.label""";

    private final StatsPending statsPending;
    private final Jdbc jdbc;
    private final Outbox outbox;
    private final Renderer renderer;
    private final Clock clock;
    private final org.allerta.dispatcher.tracking.Tokens tokens;

    SubscriberService(Jdbc jdbc, Outbox outbox, Renderer renderer, Clock clock, StatsPending statsPending,
                      org.allerta.dispatcher.tracking.Tokens tokens) {
        this.jdbc = jdbc;
        this.tokens = tokens;
        this.statsPending = statsPending;
        this.outbox = outbox;
        this.renderer = renderer;
        this.clock = clock;
    }

    /** The outcome of a registration: the subscriber, and whether it was created now. */
    public record Registered(SubscriberView subscriber, boolean created) {
    }

    /**
     * Registers a person. With an {@code externalId} already known, the same registration again (a retry) answers the
     * existing subscriber unchanged; one that says something else is refused (409 {@code external-id-registered},
     * with the subscriber's {@code Location}): what changes a registration is a {@code PUT}.
     */
    public Registered register(Registration registration) {
        return register(registration, true);
    }

    /**
     * {@link #register(Registration)}; without {@code strict}, a known {@code externalId} is answered as the existing
     * subscriber whatever the details (a bulk import's rule: already registered, left unchanged).
     */
    private Registered register(Registration registration, boolean strict) {
        return jdbc.inTransactionRetryingConflicts(c -> {
            if (registration.externalId() != null) {
                // locked against an erasure of that person under way: it is waited for, and then nobody has the id
                Optional<UUID> existing = idByExternalId(c, registration.externalId(), true);
                if (existing.isPresent()) {
                    String said = strict ? fingerprintOf(c, existing.get()) : null;
                    if (said != null && !said.equals(registration.fingerprint())) {
                        throw new ProblemException(Problem.of(409, "external-id-registered",
                                "Registered with other details", "A subscriber with this externalId is registered"
                                        + " with other details; change them with PUT /v1/subscribers/"
                                        + existing.get() + "."),
                                Map.of("Location", "/v1/subscribers/" + existing.get()));
                    }
                    return new Registered(view(c, existing.get()).orElseThrow(), false);
                }
            }
            UUID id = UUID.randomUUID();
            try (PreparedStatement s = c.prepareStatement(INSERT_SUBSCRIBER)) {
                s.setObject(1, id);
                s.setString(2, registration.externalId());
                bindPerson(c, s, registration, 3);
                s.executeUpdate();
            }
            writeChannels(c, id, registration, List.of());
            writePlaces(c, id, registration.places(), List.of());
            Cards.refresh(c, List.of(id));
            announcePlaces(c, id, registration);
            return new Registered(view(c, id).orElseThrow(), true);
        });
    }

    /**
     * One person of a bulk registration: created now, already registered (by {@code externalId}), or refused.
     *
     * @param created true when created now
     * @param refused why the database refused this person alone; null otherwise
     */
    public record Outcome(boolean created, ProblemException refused) {
    }

    /**
     * Registers a group of people in one transaction, as {@link #register} would one by one, with one statement per
     * table for the whole group: a bulk import's pace is the database's, not one commit per person. A person whose
     * {@code externalId} is known, or appears earlier in the group, is left as registered. Should the database refuse
     * the group's data (a value it cannot hold, a constraint broken), each person is registered on its own, so that a
     * refusal names its person and spares the others. Any other failure ends the call, as does a database that is
     * away (503); what was committed before stays.
     */
    public List<Outcome> registerAll(List<Registration> registrations) {
        if (registrations.isEmpty()) {
            return List.of();
        }
        try {
            return jdbc.inTransactionRetryingConflicts(c -> insertAll(c, registrations));
        } catch (ProblemException e) {
            if (e.problem().status() == 503) {
                throw e;
            }
        } catch (RuntimeException e) {
            if (!DatabaseErrors.isRefusedData(e)) {
                throw e;
            }
            // a person the database refuses: found below, alone
        }
        var outcomes = new ArrayList<Outcome>(registrations.size());
        for (Registration r : registrations) {
            try {
                outcomes.add(new Outcome(register(r, false).created(), null));
            } catch (ProblemException e) {
                if (e.problem().status() == 503) {
                    throw e;
                }
                outcomes.add(new Outcome(false, e));
            } catch (RuntimeException e) {
                if (!DatabaseErrors.isRefusedData(e)) {
                    throw e;
                }
                outcomes.add(new Outcome(false, ProblemException.invalid("The database refused this person.",
                        List.of(Problem.Issue.of("refused-by-database", "", refusal(e))))));
            }
        }
        return outcomes;
    }

    /**
     * Why the database refused a row, by its error code and constraint only: the server's own message may quote the
     * failing row (a name, a phone number, a token), which has no place in a report or a log.
     */
    private static String refusal(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null) {
                var m = p.getServerErrorMessage();
                return "SQLSTATE " + m.getSQLState() + (m.getConstraint() != null ? ", constraint "
                        + m.getConstraint() : "") + (m.getTable() != null ? ", table " + m.getTable() : "");
            }
            if (cause instanceof SQLException q) {
                return "SQLSTATE " + q.getSQLState();
            }
        }
        return e.getClass().getSimpleName();
    }

    private List<Outcome> insertAll(Connection c, List<Registration> registrations) throws SQLException {
        var known = new java.util.HashSet<String>();
        List<String> externalIds = registrations.stream().map(Registration::externalId)
                .filter(java.util.Objects::nonNull).toList();
        if (!externalIds.isEmpty()) {
            try (PreparedStatement s = c.prepareStatement(
                    "SELECT external_id FROM subscriber WHERE external_id = ANY (?)")) {
                s.setArray(1, c.createArrayOf("text", externalIds.toArray()));
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        known.add(rows.getString(1));
                    }
                }
            }
        }
        var outcomes = new ArrayList<Outcome>(registrations.size());
        var created = new ArrayList<UUID>(registrations.size());
        var codes = new ArrayList<CodeRequest>();
        var announcements = new ArrayList<Outbox.Entry>();
        try (PreparedStatement subscribers = c.prepareStatement(INSERT_SUBSCRIBER);
             PreparedStatement channels = c.prepareStatement(INSERT_CHANNEL);
             PreparedStatement places = c.prepareStatement(INSERT_PLACE)) {
            for (Registration r : registrations) {
                if (r.externalId() != null && !known.add(r.externalId())) {
                    outcomes.add(new Outcome(false, null));
                    continue;
                }
                UUID id = UUID.randomUUID();
                created.add(id);
                subscribers.setObject(1, id);
                subscribers.setString(2, r.externalId());
                bindPerson(c, subscribers, r, 3);
                subscribers.addBatch();
                for (int i = 0; i < r.channels().size(); i++) {
                    ChannelInput input = r.channels().get(i);
                    UUID channelId = UUID.randomUUID();
                    bindChannel(c, channels, channelId, id, i, input);
                    channels.addBatch();
                    if (!input.verified()) {
                        codes.add(new CodeRequest(id, channelId, input, r.language()));
                    }
                }
                var announced = new ArrayList<SubscriberPlaces.Place>();
                for (int i = 0; i < r.places().size(); i++) {
                    PlaceInput p = r.places().get(i);
                    UUID placeId = UUID.randomUUID();
                    bindPlace(places, placeId, id, i, p);
                    places.addBatch();
                    announced.add(new SubscriberPlaces.Place(placeId.toString(), p.category(),
                            p.point() == null ? p.address() : null, p.point()));
                }
                announcements.add(announcement(id, r, announced));
                outcomes.add(new Outcome(true, null));
            }
            subscribers.executeBatch();
            channels.executeBatch();
            places.executeBatch();
        }
        Cards.refresh(c, created);
        for (CodeRequest code : codes) {
            sendCode(c, code.subscriber(), code.channel(), code.input().type(), code.input().address(),
                    code.language(), 1, false);
        }
        outbox.addAll(c, Topics.SUBSCRIBERS_PLACES, announcements);
        return outcomes;
    }

    /** A new unverified channel of a group registration, whose code leaves once its row is written. */
    private record CodeRequest(UUID subscriber, UUID channel, ChannelInput input, String language) {
    }

    /** Replaces what a person registered; channels and places that did not change keep their id and state. */
    public SubscriberView replace(UUID id, Registration registration) {
        return jdbc.inTransactionRetryingConflicts(c -> {
            // a channel removed withdraws the jobs made before its removal's time: no batch may have read the
            // channel and not yet made its jobs when that time is taken, so the batches under way end first (the
            // fence before the person's row, in the order an erasure takes them)
            Optional<SubscriberView> current = view(c, id);
            if (current.isPresent() && !removed(current.get().channels(), registration).isEmpty()) {
                ErasureFence.close(c);
            }
            // an erasure under way is waited for, and then the person is not found (rather than half rewritten)
            Cards.lock(c, List.of(id));
            SubscriberView before = view(c, id).orElseThrow(() -> notFound(id));
            if (registration.externalId() != null && !registration.externalId().equals(before.externalId())) {
                Optional<UUID> other = idByExternalId(c, registration.externalId(), false);
                if (other.isPresent() && !other.get().equals(id)) {
                    throw ProblemException.conflict("external-id-taken",
                            "Another subscriber has this externalId.");
                }
            }
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE subscriber SET external_id = coalesce(?, external_id), name = ?, language = ?,
                        interests = ?, profile = ?, priority = ?, priority_consent_at = ?,
                        priority_consent_wording = ?, quiet_from = ?, quiet_to = ?, quiet_zone = ?,
                        registration_sha256 = ?, updated_at = now()
                    WHERE subscriber_id = ?""")) {
                s.setString(1, registration.externalId());
                bindPerson(c, s, registration, 2);
                s.setObject(13, id);
                s.executeUpdate();
            }
            writeChannels(c, id, registration, before.channels());
            writePlaces(c, id, registration.places(), before.places());
            Cards.refresh(c, List.of(id));
            // a channel the administrator registered as verified tells what was waiting for one
            org.allerta.dispatcher.dispatch.MatchDispatcher.releaseAwaiting(c, id, clock.instant());
            announcePlaces(c, id, registration);
            return view(c, id).orElseThrow();
        });
    }

    /** The subscriber, if registered. */
    public Optional<SubscriberView> get(UUID id) {
        return jdbc.inTransaction(c -> view(c, id));
    }

    /** The subscriber with this externalId, if any. */
    public Optional<SubscriberView> byExternalId(String externalId) {
        return jdbc.inTransaction(c -> {
            Optional<UUID> id = idByExternalId(c, externalId, false);
            return id.isEmpty() ? Optional.empty() : view(c, id.get());
        });
    }

    /**
     * GDPR erasure: the person, their channels, places, ledger and held notices are deleted; the jobs already sent
     * stay only as anonymous counts; {@code subscribers.places} gets a tombstone, and {@code subscribers.erased} the
     * id, so that the notification-sender withdraws the person's jobs not yet sent.
     */
    public boolean erase(UUID id) {
        var heldEvents = new java.util.HashSet<String>();
        boolean erased = jdbc.inTransaction(c -> {
            ErasureFence.close(c);
            int deleted;
            try (PreparedStatement s = c.prepareStatement("DELETE FROM subscriber WHERE subscriber_id = ?")) {
                s.setObject(1, id);
                deleted = s.executeUpdate();
            }
            if (deleted == 0) {
                return false;
            }
            // a person's ledger rows are found per event the dispatcher knows (the ledger's key starts with the
            // event); each says up to which revision the person was told anything, so the ids of every notice they
            // can have been sent follow from it (rule 6), and those job rows keep only their counts
            var told = new LinkedHashMap<String, long[]>();
            try (PreparedStatement s = c.prepareStatement("""
                    DELETE FROM ledger
                    WHERE subscriber_id = ? AND event_id IN (SELECT DISTINCT event_id FROM event_revision)
                    RETURNING event_id, last_revision, stays""")) {
                s.setObject(1, id);
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        told.put(rows.getString(1), new long[] {rows.getLong(2), rows.getLong(3)});
                    }
                }
            }
            // the ids notices go out under, and the name-based ids of those sent before job ids were keyed (ADR 3)
            var notices = new ArrayList<>(noticeIds(id, told, tokens::keyedJobId));
            notices.addAll(noticeIds(id, told, java.util.function.UnaryOperator.identity()));
            anonymiseNotices(c, notices);
            // the verification codes (jobs without an event) by their own small index
            try (PreparedStatement s = c.prepareStatement("""
                    UPDATE job SET subscriber_id = NULL, channel_id = NULL
                    WHERE subscriber_id = ? AND event_id IS NULL""")) {
                s.setObject(1, id);
                s.executeUpdate();
            }
            // the notices held for them no longer count as held in those events' statistics
            try (PreparedStatement s = c.prepareStatement(
                    "DELETE FROM held WHERE subscriber_id = ? RETURNING event_id")) {
                s.setObject(1, id);
                try (ResultSet rows = s.executeQuery()) {
                    while (rows.next()) {
                        heldEvents.add(rows.getString(1));
                    }
                }
            }
            try (PreparedStatement s = c.prepareStatement("""
                    INSERT INTO counter (name, value) VALUES ('subscribers_erased', 1)
                    ON CONFLICT (name) DO UPDATE SET value = counter.value + 1""")) {
                s.executeUpdate();
            }
            // what waits to leave for the broker (a code to verify a channel, the addresses of their places, while the
            // broker is away) leaves no more: the records of a person are keyed by their id
            try (PreparedStatement s = c.prepareStatement("DELETE FROM outbox WHERE record_key = ?")) {
                s.setString(1, id.toString());
                s.executeUpdate();
            }
            outbox.addTombstone(c, Topics.SUBSCRIBERS_PLACES, id.toString());
            // the sender withdraws their jobs still queued on the job topics (keyed by the same id, written before)
            withdrawQueued(c, outbox, id, null, clock.instant());
            return true;
        });
        statsPending.touch(heldEvents);
        return erased;
    }

    /**
     * The ids of every notice a person can have been sent: for each event, every change on every channel at each
     * revision up to the last one their ledger row recorded (a held notice, once released, keeps its revision), and
     * the AFFECTED and NO_LONGER_AFFECTED of each later stay inside the area.
     *
     * @param ledger per event, the last revision and the stays the person's ledger row recorded
     */
    static List<UUID> noticeIds(UUID subscriberId, Map<String, long[]> ledger,
                                java.util.function.UnaryOperator<String> keyed) {
        var ids = new ArrayList<UUID>();
        String subscriber = subscriberId.toString();
        ledger.forEach((eventId, row) -> {
            long last = row[0];
            int stays = (int) Math.max(1, row[1]);
            for (long revision = 1; revision <= last; revision++) {
                for (Change change : Change.values()) {
                    boolean staying = change == Change.AFFECTED || change == Change.NO_LONGER_AFFECTED;
                    for (int stay = 1; stay <= (staying ? stays : 1); stay++) {
                        for (Channel channel : Channel.values()) {
                            ids.add(UUID.fromString(keyed.apply(JobIds.notice(eventId, subscriber, change,
                                    revision, channel, stay))));
                        }
                    }
                }
            }
        });
        return ids;
    }

    /** Clears the subscriber and channel of these job rows, where they exist; a few thousand ids per statement. */
    private static void anonymiseNotices(Connection c, List<UUID> jobIds) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "UPDATE job SET subscriber_id = NULL, channel_id = NULL WHERE job_id = ANY (?)")) {
            for (int from = 0; from < jobIds.size(); from += 5_000) {
                s.setArray(1, c.createArrayOf("uuid",
                        jobIds.subList(from, Math.min(jobIds.size(), from + 5_000)).toArray()));
                s.executeUpdate();
            }
        }
    }

    /**
     * Confirms a channel with the code sent to it; an unsubscribed channel confirmed again this way is subscribed
     * again (someone who pressed "stop" by mistake, or changed their mind).
     */
    public SubscriberView verify(UUID id, UUID channelId, String code) {
        return jdbc.inTransaction(c -> {
            Cards.lock(c, List.of(id));
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT verified_at, code_sha256, code_expires_at, code_attempts, unsubscribed_at FROM channel
                    WHERE channel_id = ? AND subscriber_id = ? FOR UPDATE""")) {
                s.setObject(1, channelId);
                s.setObject(2, id);
                try (ResultSet rows = s.executeQuery()) {
                    if (!rows.next()) {
                        throw ProblemException.notFound("No such channel for this subscriber.");
                    }
                    if (rows.getTimestamp(1) != null && rows.getTimestamp(5) == null) {
                        return view(c, id).orElseThrow();
                    }
                    String hash = rows.getString(2);
                    Timestamp expires = rows.getTimestamp(3);
                    int attempts = rows.getInt(4);
                    if (attempts >= MAX_CODE_ATTEMPTS) {
                        throw ProblemException.conflict("too-many-attempts",
                                "Too many wrong codes: ask for a new one (POST .../code).");
                    }
                    if (hash == null || expires == null || expires.toInstant().isBefore(clock.instant())) {
                        throw ProblemException.conflict("code-expired", "The code has expired: ask for a new one.");
                    }
                    if (code == null || !codeMatches(channelId, code.strip(), hash)) {
                        try (PreparedStatement u = c.prepareStatement(
                                "UPDATE channel SET code_attempts = code_attempts + 1 WHERE channel_id = ?")) {
                            u.setObject(1, channelId);
                            u.executeUpdate();
                        }
                        c.commit();
                        throw new ProblemException(Problem.of(422, "wrong-code", "Wrong code",
                                "The code does not match; " + (MAX_CODE_ATTEMPTS - attempts - 1)
                                        + " attempt(s) left."));
                    }
                }
            }
            try (PreparedStatement u = c.prepareStatement("""
                    UPDATE channel SET verified_at = ?, consent_source = ?, code_sha256 = NULL,
                        code_expires_at = NULL, code_attempts = 0, unsubscribed_at = NULL, codes_before = codes_sent
                    WHERE channel_id = ?""")) {
                u.setTimestamp(1, Timestamp.from(clock.instant()));
                u.setString(2, DOUBLE_OPT_IN);
                u.setObject(3, channelId);
                u.executeUpdate();
            }
            Cards.refresh(c, List.of(id));
            org.allerta.dispatcher.dispatch.MatchDispatcher.releaseAwaiting(c, id, clock.instant());
            return view(c, id).orElseThrow();
        });
    }

    /** Sends a new code to an unverified channel, or to an unsubscribed one whose owner wants it back. */
    public void resendCode(UUID id, UUID channelId) {
        jdbc.inTransaction(c -> {
            String language;
            try (PreparedStatement s = c.prepareStatement("SELECT language FROM subscriber WHERE subscriber_id = ?")) {
                s.setObject(1, id);
                try (ResultSet rows = s.executeQuery()) {
                    if (!rows.next()) {
                        throw notFound(id);
                    }
                    language = rows.getString(1);
                }
            }
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT type, address, verified_at, codes_sent, unsubscribed_at, codes_before FROM channel
                    WHERE channel_id = ? AND subscriber_id = ? FOR UPDATE""")) {
                s.setObject(1, channelId);
                s.setObject(2, id);
                try (ResultSet rows = s.executeQuery()) {
                    if (!rows.next()) {
                        throw ProblemException.notFound("No such channel for this subscriber.");
                    }
                    if (rows.getTimestamp(3) != null && rows.getTimestamp(5) == null) {
                        throw ProblemException.conflict("already-verified", "This channel is already verified.");
                    }
                    // the codes sent since the channel was last confirmed (V18)
                    if (rows.getInt(4) - rows.getInt(6) >= MAX_CODES) {
                        throw ProblemException.conflict("too-many-codes",
                                "Too many codes were sent to this channel; register it again later.");
                    }
                    sendCode(c, id, channelId, Channel.valueOf(rows.getString(1)), rows.getString(2), language,
                            rows.getInt(4) + 1, true);
                }
            }
            return null;
        });
    }

    /** Records the matcher's geocoding answer for a place (ignored once the place is gone). */
    public void geocoded(Connection c, PlaceGeocoded outcome) throws SQLException {
        UUID subscriber = uuid(outcome.subscriberId());
        UUID place = uuid(outcome.placeId());
        if (subscriber == null || place == null) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE place SET geocoding_status = ?, matched_address = ?, confidence = ?, geocoding_reason = ?,
                    geocoded_at = ? WHERE place_id = ? AND subscriber_id = ?""")) {
            s.setString(1, outcome.status().name());
            s.setString(2, outcome.matchedAddress());
            s.setDouble(3, outcome.confidence());
            s.setString(4, outcome.reason());
            s.setTimestamp(5, Timestamp.from(outcome.at() == null ? clock.instant() : outcome.at()));
            s.setObject(6, place);
            s.setObject(7, subscriber);
            s.executeUpdate();
        }
        // nothing of this is on the person's dispatch card: notices name a place by the citizen's own words
    }

    /** What the registration of this subscriber said, as {@link Registration#fingerprint}; null for older rows. */
    private static String fingerprintOf(Connection c, UUID id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(
                "SELECT registration_sha256 FROM subscriber WHERE subscriber_id = ?")) {
            s.setObject(1, id);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() ? rows.getString(1) : null;
            }
        }
    }

    private void bindPerson(Connection c, PreparedStatement s, Registration r, int first) throws SQLException {
        int i = first;
        s.setString(i++, r.name());
        s.setString(i++, r.language());
        s.setArray(i++, c.createArrayOf("text", r.interests().stream().map(Enum::name).toArray()));
        s.setArray(i++, c.createArrayOf("text", r.profile().stream().map(Enum::name).toArray()));
        s.setBoolean(i++, r.priority() != null);
        s.setTimestamp(i++, r.priority() == null ? null : Timestamp.from(r.priority().consentAt()));
        s.setString(i++, r.priority() == null ? null : r.priority().wording());
        s.setTime(i++, r.quietHours() == null ? null : Time.valueOf(r.quietHours().from()));
        s.setTime(i++, r.quietHours() == null ? null : Time.valueOf(r.quietHours().to()));
        s.setString(i++, r.quietHours() == null ? null : r.quietHours().zone().getId());
        s.setString(i, r.fingerprint());
    }

    /**
     * Keeps unchanged channels (same type and address) with their verification; new ones get a code. The jobs still
     * queued for a channel removed are withdrawn ({@link #withdrawQueued}).
     */
    private void writeChannels(Connection c, UUID id, Registration r, List<ChannelView> before) throws SQLException {
        if (!removed(before, r).isEmpty()) {
            // taken already, unless the channels changed since they were first read (then a deadlock with an
            // erasure of the same person is possible, and answered 503)
            ErasureFence.close(c);
        }
        // after the batches under way, before any new channel's code is made: the jobs made until now are those of
        // the channels removed
        Instant removedAt = clock.instant();
        var kept = new ArrayList<UUID>();
        for (int i = 0; i < r.channels().size(); i++) {
            ChannelInput input = r.channels().get(i);
            // the same mailbox whatever the case it is written in, the same chat whatever zeros lead its id
            Optional<ChannelView> same = before.stream()
                    .filter(b -> b.type() == input.type() && Contacts.sameAddress(b.type(), b.address(),
                            input.address())).findFirst();
            UUID channelId = same.map(b -> UUID.fromString(b.id())).orElseGet(UUID::randomUUID);
            kept.add(channelId);
            try (PreparedStatement s = c.prepareStatement(INSERT_CHANNEL)) {
                bindChannel(c, s, channelId, id, i, input);
                s.executeUpdate();
            }
            if (same.isEmpty() && !input.verified()) {
                sendCode(c, id, channelId, input.type(), input.address(), r.language(), 1, false);
            }
        }
        // a code still waiting to leave for an address no longer registered (a mistyped number, corrected) stays
        // unsent: it would reach a stranger
        try (PreparedStatement s = c.prepareStatement("""
                DELETE FROM outbox o USING job j
                WHERE o.record_key = ? AND j.subscriber_id = ? AND j.event_id IS NULL
                  AND NOT (j.channel_id = ANY (?)) AND o.headers ->> 'ce_id' = j.job_id::text""")) {
            s.setString(1, id.toString());
            s.setObject(2, id);
            s.setArray(3, c.createArrayOf("uuid", kept.toArray()));
            s.executeUpdate();
        }
        try (PreparedStatement s = c.prepareStatement(
                "DELETE FROM channel WHERE subscriber_id = ? AND NOT (channel_id = ANY (?)) RETURNING type")) {
            s.setObject(1, id);
            s.setArray(2, c.createArrayOf("uuid", kept.toArray()));
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    withdrawQueued(c, outbox, id, Channel.valueOf(rows.getString(1)), removedAt);
                }
            }
        }
    }

    /** The channels registered that a registration no longer has (same type and address: the same channel). */
    private static List<ChannelView> removed(List<ChannelView> before, Registration r) {
        return before.stream().filter(b -> r.channels().stream().noneMatch(input -> b.type() == input.type()
                && Contacts.sameAddress(b.type(), b.address(), input.address()))).toList();
    }

    /**
     * Tells the notification-sender, on {@code subscribers.erased}, that a person was erased ({@code type} null: none
     * of their queued jobs is sent), or that their channel of {@code type} was removed or unsubscribed at {@code at}:
     * the jobs of that type made before then and still queued on the job topics are not sent. A number given up, or
     * replaced because it was someone else's, gets nothing more of the person's notices; the record names no address.
     */
    public static void withdrawQueued(Connection c, Outbox outbox, UUID subscriber, Channel type, Instant at)
            throws SQLException {
        outbox.add(c, Topics.SUBSCRIBERS_ERASED, subscriber.toString(),
                new org.allerta.contracts.SubscriberErased(subscriber.toString(), at, type),
                UUID.randomUUID().toString(), subscriber.toString());
    }

    /** Forgets the codes sent before {@link #CODES_WINDOW} (the clock's work, hourly: no digest outlives its day). */
    public int forgetOldCodes() {
        return jdbc.inTransaction(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM code_sent WHERE sent_at < ?")) {
                s.setTimestamp(1, Timestamp.from(clock.instant().minus(CODES_WINDOW)));
                return s.executeUpdate();
            }
        });
    }

    private static final org.jboss.logging.Logger LOG = org.jboss.logging.Logger.getLogger(SubscriberService.class);

    /**
     * A code as stored: keyed with the dispatcher's own key, so that a copy of the database does not give the pending
     * codes away (a million plain hashes of a known channel id would).
     */
    private String codeHash(UUID channelId, String code) {
        return tokens.addressDigest("code:" + channelId + ":" + code);
    }

    /** True when the code is the one stored for the channel (or, sent before codes were keyed, its plain hash). */
    private boolean codeMatches(UUID channelId, String code, String stored) {
        return java.security.MessageDigest.isEqual(codeHash(channelId, code).getBytes(StandardCharsets.US_ASCII),
                stored.getBytes(StandardCharsets.US_ASCII)) || ApiKeys.matches(channelId + ":" + code, stored);
    }

    /**
     * Sends a one-time code to a channel, unless its address had too many in the last day. Asked for again
     * ({@code askedFor}), that is refused (409); at a registration, the channel is registered all the same, unverified,
     * without a code: someone who typed another person's number ten times must not keep that person from registering.
     */
    private void sendCode(Connection c, UUID id, UUID channelId, Channel type, String address, String language,
                          int attempt, boolean askedFor) throws SQLException {
        Instant now = clock.instant();
        String addressDigest = tokens.addressDigest(Contacts.counted(type, address));
        try (PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM code_sent WHERE address_digest = ? AND sent_at >= ?")) {
            s.setString(1, addressDigest);
            s.setTimestamp(2, Timestamp.from(now.minus(CODES_WINDOW)));
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                if (rows.getInt(1) >= MAX_CODES_PER_ADDRESS) {
                    if (!askedFor) {
                        LOG.debugf("channel %s registered without a code: its address had %d in a day", channelId,
                                MAX_CODES_PER_ADDRESS);
                        return;
                    }
                    throw ProblemException.conflict("too-many-codes", "Too many codes were sent to this address in"
                            + " the last 24 hours; try again tomorrow.");
                }
            }
        }
        try (PreparedStatement s = c.prepareStatement("INSERT INTO code_sent (address_digest, sent_at) VALUES (?, ?)")) {
            s.setString(1, addressDigest);
            s.setTimestamp(2, Timestamp.from(now));
            s.executeUpdate();
        }
        String code = String.format("%06d", RANDOM.nextInt(1_000_000));
        try (PreparedStatement s = c.prepareStatement("""
                UPDATE channel SET code_sha256 = ?, code_expires_at = ?, code_attempts = 0, codes_sent = ?
                WHERE channel_id = ?""")) {
            s.setString(1, codeHash(channelId, code));
            s.setTimestamp(2, Timestamp.from(now.plus(CODE_VALIDITY)));
            s.setInt(3, attempt);
            s.setObject(4, channelId);
            s.executeUpdate();
        }
        Rendered message = renderer.verification(language, type, code);
        String jobId = tokens.keyedJobId(JobIds.verification(id.toString(), channelId.toString(), attempt));
        var job = new NotificationJob(jobId, JobPurpose.VERIFICATION, type, null, null, null, id.toString(), address,
                language, message.subject(), message.text(), null, message.headers(), null, true,
                now.plus(CODE_VALIDITY), now);
        // the person is waiting for it in the app: it does not queue behind an announcement's notices
        outbox.add(c, type.urgentJobsTopic(), id.toString(), job, jobId, id.toString());
        JobRow.insert(c, List.of(new JobRow(job, channelId, true)));
    }

    /** Keeps unchanged places (same category, label, address and point) with their id and geocoding. */
    private void writePlaces(Connection c, UUID id, List<PlaceInput> places, List<PlaceView> before)
            throws SQLException {
        var kept = new ArrayList<UUID>();
        var available = new ArrayList<>(before);
        UUID[] ids = new UUID[places.size()];
        // a place as it was first, then one only renamed ("Casa" → "Casa mia"): its label is the person's alone, so
        // it keeps its id, its geocoding, and its name in the notices held for it
        for (boolean byLabel : new boolean[] {true, false}) {
            for (int i = 0; i < places.size(); i++) {
                PlaceInput p = places.get(i);
                Optional<PlaceView> same = ids[i] != null ? Optional.empty() : available.stream()
                        .filter(b -> b.category() == p.category()
                                && (!byLabel || java.util.Objects.equals(b.label(), p.label()))
                                && java.util.Objects.equals(b.address(), p.address())
                                && java.util.Objects.equals(b.lon(), p.point() == null ? null : p.point().lon())
                                && java.util.Objects.equals(b.lat(), p.point() == null ? null : p.point().lat()))
                        .findFirst();
                if (same.isPresent()) {
                    available.remove(same.get());
                    ids[i] = UUID.fromString(same.get().id());
                }
            }
        }
        for (int i = 0; i < places.size(); i++) {
            UUID placeId = ids[i] == null ? UUID.randomUUID() : ids[i];
            kept.add(placeId);
            try (PreparedStatement s = c.prepareStatement(INSERT_PLACE)) {
                bindPlace(s, placeId, id, i, places.get(i));
                s.executeUpdate();
            }
        }
        try (PreparedStatement s = c.prepareStatement(
                "DELETE FROM place WHERE subscriber_id = ? AND NOT (place_id = ANY (?))")) {
            s.setObject(1, id);
            s.setArray(2, c.createArrayOf("uuid", kept.toArray()));
            s.executeUpdate();
        }
    }

    /** Tells the matcher the person's places, followed kinds and priority flag: nothing else. */
    private void announcePlaces(Connection c, UUID id, Registration r) throws SQLException {
        var places = new ArrayList<SubscriberPlaces.Place>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT place_id, category, address, lon, lat FROM place WHERE subscriber_id = ? ORDER BY position")) {
            s.setObject(1, id);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    Double lon = (Double) rows.getObject(4);
                    Double lat = (Double) rows.getObject(5);
                    places.add(new SubscriberPlaces.Place(rows.getString(1), PlaceCategory.valueOf(rows.getString(2)),
                            lon == null ? rows.getString(3) : null, lon == null ? null : new LonLat(lon, lat)));
                }
            }
        }
        outbox.addAll(c, Topics.SUBSCRIBERS_PLACES, List.of(announcement(id, r, places)));
    }

    private Outbox.Entry announcement(UUID id, Registration r, List<SubscriberPlaces.Place> places) {
        var record = new SubscriberPlaces(id.toString(), places, r.interests(), r.priority() != null,
                clock.instant());
        return new Outbox.Entry(id.toString(), record, UUID.randomUUID().toString(), id.toString());
    }

    private void bindChannel(Connection c, PreparedStatement s, UUID channelId, UUID subscriberId, int position,
                             ChannelInput input) throws SQLException {
        s.setObject(1, channelId);
        s.setObject(2, subscriberId);
        s.setInt(3, position);
        s.setString(4, input.type().name());
        s.setString(5, input.address());
        s.setArray(6, c.createArrayOf("text", input.kinds().stream().map(Enum::name).toArray()));
        s.setTimestamp(7, input.verified() ? Timestamp.from(clock.instant()) : null);
        s.setString(8, input.consentSource());
    }

    private static void bindPlace(PreparedStatement s, UUID placeId, UUID subscriberId, int position, PlaceInput p)
            throws SQLException {
        s.setObject(1, placeId);
        s.setObject(2, subscriberId);
        s.setInt(3, position);
        s.setString(4, p.label());
        s.setString(5, p.category().name());
        s.setString(6, p.address());
        s.setObject(7, p.point() == null ? null : p.point().lon());
        s.setObject(8, p.point() == null ? null : p.point().lat());
    }

    /** The subscriber with this externalId; with {@code lock}, its row kept from being deleted until commit. */
    private static Optional<UUID> idByExternalId(Connection c, String externalId, boolean lock) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT subscriber_id FROM subscriber WHERE external_id = ?"
                + (lock ? " FOR KEY SHARE" : ""))) {
            s.setString(1, externalId);
            try (ResultSet rows = s.executeQuery()) {
                return rows.next() ? Optional.of(rows.getObject(1, UUID.class)) : Optional.empty();
            }
        }
    }

    static Optional<SubscriberView> view(Connection c, UUID id) throws SQLException {
        SubscriberView person;
        try (PreparedStatement s = c.prepareStatement("""
                SELECT external_id, name, language, interests, profile, priority, priority_consent_at,
                       priority_consent_wording, quiet_from, quiet_to, quiet_zone, created_at, updated_at
                FROM subscriber WHERE subscriber_id = ?""")) {
            s.setObject(1, id);
            try (ResultSet rows = s.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                Set<EventKind> interests = EnumSet.noneOf(EventKind.class);
                for (String kind : strings(rows.getArray(4))) {
                    interests.add(EventKind.valueOf(kind));
                }
                var profile = new LinkedHashSet<Registration.Profile>();
                for (String p : strings(rows.getArray(5))) {
                    profile.add(Registration.Profile.valueOf(p));
                }
                var priority = rows.getBoolean(6) ? new SubscriberView.PriorityView(true,
                        new SubscriberView.Consent(rows.getTimestamp(7).toInstant(), rows.getString(8))) : null;
                var quiet = rows.getTime(9) == null ? null : new SubscriberView.QuietHoursView(
                        rows.getTime(9).toLocalTime().toString(), rows.getTime(10).toLocalTime().toString(),
                        rows.getString(11));
                person = new SubscriberView(id.toString(), rows.getString(1), rows.getString(2), rows.getString(3),
                        List.of(), List.of(), interests, profile, priority, quiet,
                        rows.getTimestamp(12).toInstant(), rows.getTimestamp(13).toInstant());
            }
        }
        var channels = new ArrayList<ChannelView>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT channel_id, type, address, kinds, verified_at, consent_source, unsubscribed_at
                FROM channel WHERE subscriber_id = ? ORDER BY position""")) {
            s.setObject(1, id);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    Set<EventKind> kinds = EnumSet.noneOf(EventKind.class);
                    for (String kind : strings(rows.getArray(4))) {
                        kinds.add(EventKind.valueOf(kind));
                    }
                    channels.add(new ChannelView(rows.getString(1), Channel.valueOf(rows.getString(2)),
                            rows.getString(3), kinds, rows.getTimestamp(5) != null, instant(rows.getTimestamp(5)),
                            rows.getString(6), instant(rows.getTimestamp(7))));
                }
            }
        }
        var places = new ArrayList<PlaceView>();
        try (PreparedStatement s = c.prepareStatement("""
                SELECT place_id, label, category, address, lon, lat, geocoding_status, matched_address, confidence,
                       geocoding_reason, geocoded_at
                FROM place WHERE subscriber_id = ? ORDER BY position""")) {
            s.setObject(1, id);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    var geocoding = rows.getString(7) == null ? null : new SubscriberView.Geocoding(
                            GeocodingStatus.valueOf(rows.getString(7)), rows.getString(8),
                            (Double) rows.getObject(9), rows.getString(10), instant(rows.getTimestamp(11)));
                    places.add(new PlaceView(rows.getString(1), rows.getString(2),
                            PlaceCategory.valueOf(rows.getString(3)), rows.getString(4), (Double) rows.getObject(5),
                            (Double) rows.getObject(6), geocoding));
                }
            }
        }
        return Optional.of(new SubscriberView(person.id(), person.externalId(), person.name(), person.language(),
                channels, places, person.interests(), person.profile(), person.priority(), person.quietHours(),
                person.createdAt(), person.updatedAt()));
    }

    private static List<String> strings(Array array) throws SQLException {
        return array == null ? List.of() : List.of((String[]) array.getArray());
    }

    private static Instant instant(Timestamp timestamp) {
        return timestamp == null ? null : timestamp.toInstant();
    }

    static UUID uuid(String text) {
        try {
            return text == null ? null : UUID.fromString(text);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static ProblemException notFound(UUID id) {
        return ProblemException.notFound("No subscriber " + id + ".");
    }
}
