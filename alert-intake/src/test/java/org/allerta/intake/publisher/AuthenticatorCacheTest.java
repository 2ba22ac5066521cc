package org.allerta.intake.publisher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agroal.api.AgroalDataSource;
import java.lang.reflect.Constructor;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.allerta.contracts.EventKind;
import org.allerta.service.ApiKeys;
import org.allerta.service.Jdbc;
import org.allerta.service.KeyGuard;
import org.allerta.service.problem.ProblemException;
import org.junit.jupiter.api.Test;

/**
 * The cache of recognised publishers: a change made on this instance applies to the next request at once, even when
 * a request that read the publisher before the change stores it after.
 */
class AuthenticatorCacheTest {

    @Test
    void aPublisherReadBeforeItsKeyIsRevokedIsNotCachedPastTheRevocation() throws Exception {
        String key = "key-" + UUID.randomUUID();
        var grid = new PublisherRecord("grid", "Rete elettrica", ApiKeys.sha256(key), null,
                Set.of(EventKind.POWER_OUTAGE), null, 0, false, true, Instant.now());
        var reads = new AtomicInteger();
        var reading = new CountDownLatch(1);
        var revoked = new CountDownLatch(1);
        var repository = new PublisherRepository() {
            @Override
            public Optional<PublisherRecord> byKeyHash(Connection connection, String sha256) {
                if (reads.incrementAndGet() > 1) {
                    return Optional.empty();   // the key is revoked: no publisher has it any more
                }
                reading.countDown();
                try {
                    revoked.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return Optional.of(grid);      // read before the revocation committed
            }
        };
        var authenticator = new Authenticator(keyGuard(), jdbc(), repository, Duration.ofSeconds(30));
        var inFlight = CompletableFuture.supplyAsync(() -> authenticator.authenticate("Bearer " + key));
        assertThat(reading.await(10, TimeUnit.SECONDS)).isTrue();
        authenticator.invalidate();   // the revocation, committed on this instance
        revoked.countDown();
        // the request already in flight is answered as it was read
        assertThat(inFlight.get(10, TimeUnit.SECONDS)).isInstanceOf(Caller.AsPublisher.class);
        // the next one is not let in by what that request read
        assertThatThrownBy(() -> authenticator.authenticate("Bearer " + key))
                .isInstanceOfSatisfying(ProblemException.class, p -> assertThat(p.problem().status()).isEqualTo(401));
    }

    private static KeyGuard keyGuard() throws Exception {
        Constructor<KeyGuard> constructor = KeyGuard.class.getDeclaredConstructor(Optional.class, Optional.class);
        constructor.setAccessible(true);
        return constructor.newInstance(Optional.empty(), Optional.empty());
    }

    /** A Jdbc whose connections accept everything: the repository above does the reading. */
    private static Jdbc jdbc() throws Exception {
        Connection connection = (Connection) Proxy.newProxyInstance(AuthenticatorCacheTest.class.getClassLoader(),
                new Class<?>[] {Connection.class}, (proxy, method, args) ->
                        method.getReturnType() == boolean.class ? false : null);
        AgroalDataSource dataSource = (AgroalDataSource) Proxy.newProxyInstance(
                AuthenticatorCacheTest.class.getClassLoader(), new Class<?>[] {AgroalDataSource.class},
                (proxy, method, args) -> method.getName().equals("getConnection") ? connection : null);
        Constructor<Jdbc> constructor = Jdbc.class.getDeclaredConstructor(AgroalDataSource.class);
        constructor.setAccessible(true);
        return constructor.newInstance(dataSource);
    }
}
