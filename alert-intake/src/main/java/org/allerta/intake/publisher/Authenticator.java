package org.allerta.intake.publisher;

import jakarta.enterprise.context.ApplicationScoped;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.allerta.service.ApiKeys;
import org.allerta.service.Jdbc;
import org.allerta.service.KeyGuard;
import org.allerta.service.problem.Problem;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Recognises {@code Authorization: Bearer <key>}: the admin key through {@link KeyGuard}, a publisher's by the hash
 * stored with the publisher. Keys are hashed on arrival, compared in constant time and never logged. The city's app
 * key is not accepted by alert-intake at all: it cannot publish. Recognised publishers are cached for
 * {@code allerta.auth.cache-ttl} (default 5 s): a change made on this instance applies at once, one made on another
 * instance within that time.
 */
@ApplicationScoped
public class Authenticator {

    private final KeyGuard keys;
    private final Jdbc jdbc;
    private final PublisherRepository publishers;
    private final long ttlNanos;
    private final ConcurrentHashMap<String, Cached> cache = new ConcurrentHashMap<>();
    /** Counts the changes of publishers made on this instance ({@link #invalidate}). */
    private final java.util.concurrent.atomic.AtomicLong changes = new java.util.concurrent.atomic.AtomicLong();

    private record Cached(PublisherRecord publisher, long expiresAt) {
    }

    Authenticator(KeyGuard keys, Jdbc jdbc, PublisherRepository publishers,
                  @ConfigProperty(name = "allerta.auth.cache-ttl", defaultValue = "5s") Duration ttl) {
        this.keys = keys;
        this.jdbc = jdbc;
        this.publishers = publishers;
        this.ttlNanos = ttl.toNanos();
    }

    /** Forgets every cached publisher (after a publisher changed). */
    public void invalidate() {
        changes.incrementAndGet();
        cache.clear();
    }

    /** The caller behind an Authorization header; 401 when there is none or the key matches nobody. */
    public Caller authenticate(String authorization) {
        String key = KeyGuard.bearer(authorization).orElseThrow(ProblemException::unauthenticated);
        if (keys.role(authorization).filter(role -> role == KeyGuard.Role.ADMIN).isPresent()) {
            return new Caller.Admin();
        }
        String hash = ApiKeys.sha256(key);
        long now = System.nanoTime();
        Cached cached = cache.get(hash);
        Optional<PublisherRecord> found;
        if (cached != null && cached.expiresAt() - now > 0) {
            found = Optional.of(cached.publisher());
        } else {
            long changesBefore = changes.get();
            found = jdbc.inTransaction(connection -> publishers.byKeyHash(connection, hash));
            found.ifPresentOrElse(p -> cache.put(hash, new Cached(p, now + ttlNanos)), () -> cache.remove(hash));
            if (changes.get() != changesBefore) {
                // a publisher changed while this one was read (a key revoked): what was read may be from before the
                // change, and is not kept for the requests after it
                cache.remove(hash);
            }
        }
        return found.filter(p -> ApiKeys.matches(key, p.apiKeySha256()))
                .<Caller>map(Caller.AsPublisher::new)
                .orElseThrow(ProblemException::unauthenticated);
    }

    /** The publisher calling; 403 for the admin key, which administers but never publishes. */
    public PublisherRecord publisher(String authorization) {
        Caller caller = authenticate(authorization);
        if (caller instanceof Caller.AsPublisher asPublisher) {
            return asPublisher.publisher();
        }
        throw ProblemException.forbidden("publisher-key-required",
                "Only a publisher's key may publish; the admin key cannot publish as a publisher.", List.of());
    }

    /** 403 unless the caller is the admin. */
    public void requireAdmin(String authorization) {
        if (!(authenticate(authorization) instanceof Caller.Admin)) {
            throw ProblemException.forbidden("admin-key-required", "This needs the admin key.",
                    List.<Problem.Issue>of());
        }
    }
}
