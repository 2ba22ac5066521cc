package org.allerta.intake.publisher;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.Publisher;
import org.allerta.contracts.Topics;
import org.allerta.service.geometry.AreaValidator;
import org.allerta.service.geometry.OutageArea;
import org.allerta.service.outbox.Outbox;
import org.allerta.service.ApiKeys;
import org.allerta.service.Jdbc;
import org.allerta.service.problem.Problem.Issue;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Creates, changes, rotates and revokes publishers. Every change is announced on the compacted {@code publishers}
 * topic (through the outbox, without secrets). Keys and signing secrets are generated here, returned once, and kept
 * only as a SHA-256 hash and an encrypted secret.
 */
@ApplicationScoped
public class PublisherService {

    /** What the admin sends to create or change a publisher. */
    public record PublisherSpec(String publisherId, String name, Set<EventKind> allowedKinds, JsonNode territory,
                                Double areaLimitKm2, Boolean testMode, Boolean active) {
    }

    /** A publisher with the credentials shown once. */
    public record Credentials(Publisher publisher, String apiKey, String signingSecret) {
    }

    private final Jdbc jdbc;
    private final PublisherRepository repository;
    private final Outbox outbox;
    private final SecretBox secrets;
    private final double defaultAreaLimitKm2;
    private final Authenticator authenticator;

    PublisherService(Jdbc jdbc, PublisherRepository repository, Outbox outbox, SecretBox secrets,
                     Authenticator authenticator,
                     @ConfigProperty(name = "allerta.publishers.default-area-limit-km2", defaultValue = "5000")
                     double defaultAreaLimitKm2) {
        this.jdbc = jdbc;
        this.repository = repository;
        this.outbox = outbox;
        this.secrets = secrets;
        this.defaultAreaLimitKm2 = defaultAreaLimitKm2;
        this.authenticator = authenticator;
    }

    public Credentials create(PublisherSpec spec) {
        var issues = new ArrayList<Issue>();
        String id = spec.publisherId() == null ? java.util.UUID.randomUUID().toString() : spec.publisherId().trim();
        if (!id.matches("[A-Za-z0-9._-]{1,64}")) {
            issues.add(Issue.of("invalid-publisher-id", "/publisherId",
                    "A publisher id is 1-64 letters, digits, dots, dashes or underscores."));
        }
        String name = checkedName(spec.name(), issues);
        var territory = territory(spec.territory(), issues);
        double limit = spec.areaLimitKm2() == null ? defaultAreaLimitKm2 : spec.areaLimitKm2();
        if (!(limit > 0)) {
            issues.add(Issue.of("invalid-area-limit", "/areaLimitKm2", "The area limit must be positive."));
        }
        boolean unknownKind = unknownKind(spec.allowedKinds(), issues);
        Set<EventKind> kinds = spec.allowedKinds() == null || spec.allowedKinds().isEmpty() || unknownKind
                ? null : EnumSet.copyOf(spec.allowedKinds());
        if (kinds == null && !unknownKind) {
            issues.add(Issue.of("missing-allowed-kinds", "/allowedKinds", "Name the event kinds it may publish."));
        }
        if (!issues.isEmpty()) {
            throw ProblemException.invalid("The publisher cannot be created.", issues);
        }
        String key = ApiKeys.newKey();
        String secret = ApiKeys.newKey();
        var record = new PublisherRecord(id, name, ApiKeys.sha256(key), secrets.seal(secret), kinds,
                territory == null ? null : territory.geometry(), limit, Boolean.TRUE.equals(spec.testMode()), true,
                Instant.now());
        changing(() -> jdbc.inTransaction(connection -> {
            lock(connection, id);
            if (repository.byId(connection, id).isPresent()) {
                throw ProblemException.conflict("publisher-exists", "A publisher " + id + " already exists.");
            }
            save(connection, record);
            return null;
        }));
        return new Credentials(record.toContract(), key, secret);
    }

    public Publisher update(String id, PublisherSpec spec) {
        var issues = new ArrayList<Issue>();
        String name = spec.name() == null ? null : checkedName(spec.name(), issues);
        // absent: unchanged; null: no territory any more (anywhere); else the new territory
        boolean clearTerritory = spec.territory() != null && spec.territory().isNull();
        var territory = spec.territory() == null || clearTerritory ? null : territory(spec.territory(), issues);
        unknownKind(spec.allowedKinds(), issues);
        if (spec.areaLimitKm2() != null && !(spec.areaLimitKm2() > 0)) {
            issues.add(Issue.of("invalid-area-limit", "/areaLimitKm2", "The area limit must be positive."));
        }
        if (spec.allowedKinds() != null && spec.allowedKinds().isEmpty()) {
            issues.add(Issue.of("missing-allowed-kinds", "/allowedKinds", "Name the event kinds it may publish."));
        }
        if (!issues.isEmpty()) {
            throw ProblemException.invalid("The publisher cannot be changed.", issues);
        }
        return changing(() -> jdbc.inTransaction(connection -> {
            PublisherRecord current = locked(connection, id);
            var changed = new PublisherRecord(id, name == null ? current.name() : name, current.apiKeySha256(),
                    current.sealedSigningSecret(),
                    spec.allowedKinds() == null ? current.allowedKinds() : EnumSet.copyOf(spec.allowedKinds()),
                    spec.territory() == null ? current.territory() : clearTerritory ? null : territory.geometry(),
                    spec.areaLimitKm2() == null ? current.areaLimitKm2() : spec.areaLimitKm2(),
                    spec.testMode() == null ? current.testMode() : spec.testMode(),
                    spec.active() == null ? current.active() : spec.active(), Instant.now());
            save(connection, changed);
            return changed.toContract();
        }));
    }

    /** A new API key; the old one stops working at once. */
    public Credentials rotateKey(String id) {
        String key = ApiKeys.newKey();
        return changing(() -> jdbc.inTransaction(connection -> {
            PublisherRecord p = locked(connection, id);
            var changed = new PublisherRecord(id, p.name(), ApiKeys.sha256(key), p.sealedSigningSecret(),
                    p.allowedKinds(), p.territory(), p.areaLimitKm2(), p.testMode(), p.active(), Instant.now());
            save(connection, changed);
            return new Credentials(changed.toContract(), key, null);
        }));
    }

    /** A new signing secret for records written to intake.raw; the old one stops working at once. */
    public Credentials rotateSigningSecret(String id) {
        String secret = ApiKeys.newKey();
        return changing(() -> jdbc.inTransaction(connection -> {
            PublisherRecord p = locked(connection, id);
            var changed = new PublisherRecord(id, p.name(), p.apiKeySha256(), secrets.seal(secret),
                    p.allowedKinds(), p.territory(), p.areaLimitKm2(), p.testMode(), p.active(), Instant.now());
            save(connection, changed);
            return new Credentials(changed.toContract(), null, secret);
        }));
    }

    public Publisher get(String id) {
        return jdbc.inTransaction(connection -> existing(connection, id)).toContract();
    }

    public List<Publisher> all() {
        return jdbc.inTransaction(repository::all).stream().map(PublisherRecord::toContract).toList();
    }

    /**
     * Creates a publisher whose key hash and signing secret are given (local development), or gives the one there
     * these credentials when they changed: safe to repeat; nothing is written when nothing changed. What an
     * administrator decided since it was created stays: a publisher revoked stays revoked, a narrowed remit narrowed.
     * Returns false when the publisher is there but revoked.
     */
    public boolean ensure(String id, String name, String keySha256, String signingSecret) {
        return changing(() -> jdbc.inTransaction(connection -> {
            lock(connection, id);
            var current = repository.byId(connection, id);
            if (current.isEmpty()) {
                save(connection, new PublisherRecord(id, name, keySha256, secrets.seal(signingSecret),
                        EnumSet.allOf(EventKind.class), null, 510_072_000, false, true, Instant.now()));
                return true;
            }
            PublisherRecord there = current.get();
            boolean same = there.apiKeySha256().equals(keySha256)
                    && secrets.open(there.sealedSigningSecret()).filter(signingSecret::equals).isPresent();
            if (!same) {
                save(connection, new PublisherRecord(id, there.name(), keySha256, secrets.seal(signingSecret),
                        there.allowedKinds(), there.territory(), there.areaLimitKm2(), there.testMode(),
                        there.active(), Instant.now()));
            }
            return there.active();
        }));
    }

    /** Runs a change and then forgets cached publishers, so that it applies to the next request at once. */
    private <T> T changing(java.util.function.Supplier<T> change) {
        try {
            return change.get();
        } finally {
            authenticator.invalidate();
        }
    }

    private void save(Connection connection, PublisherRecord record) throws SQLException {
        repository.upsert(connection, record);
        outbox.add(connection, Topics.PUBLISHERS, record.publisherId(), record.toContract(),
                record.publisherId() + "@" + record.updatedAt(), record.publisherId());
    }

    /**
     * The publisher, for a change: every change of one publisher waits for the one under way (each rewrites the
     * whole row; without the lock, a change of its name running beside a key rotation would write the old key back,
     * and the new key, shown once, would never work).
     */
    private PublisherRecord locked(Connection connection, String id) throws SQLException {
        lock(connection, id);
        return existing(connection, id);
    }

    /** Holds this publisher's lock until the transaction ends (a publisher not created yet included). */
    private static void lock(Connection connection, String id) throws SQLException {
        org.allerta.intake.event.EventService.lock(connection, "publisher:" + id);
    }

    private PublisherRecord existing(Connection connection, String id) throws SQLException {
        return repository.byId(connection, id)
                .orElseThrow(() -> ProblemException.notFound("No publisher " + id + "."));
    }

    private static String checkedName(String name, List<Issue> issues) {
        if (name == null || name.isBlank() || name.length() > 200
                || org.allerta.intake.event.FeatureReader.hasControlCharacters(name)) {
            issues.add(Issue.of("invalid-name", "/name", "A name of 1-200 characters is required."));
            return null;
        }
        return name.trim();
    }

    /** True (with the issue) when the kinds name one that is not a kind: a JSON null among them. */
    private static boolean unknownKind(Set<EventKind> kinds, List<Issue> issues) {
        if (kinds != null && kinds.stream().anyMatch(java.util.Objects::isNull)) {
            issues.add(Issue.of("invalid-kind", "/allowedKinds", "Every allowed kind is one of "
                    + List.of(EventKind.values()) + "."));
            return true;
        }
        return false;
    }

    private static OutageArea territory(JsonNode territory, List<Issue> issues) {
        if (territory == null || territory.isNull()) {
            return null;
        }
        return new AreaValidator(1_000_000).read(territory, "/territory", issues);
    }
}
