package org.allerta.service;

import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Optional;
import org.allerta.service.problem.ProblemException;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * The admin key and the city's app key, known to a service only by their SHA-256 hashes
 * ({@code ALLERTA_ADMIN_KEY_SHA256}, {@code ALLERTA_APP_KEY_SHA256}), checked in constant time. Keys are never logged.
 */
@ApplicationScoped
public class KeyGuard {

    /** Which of the two keys a request carried. */
    public enum Role { ADMIN, APP }

    private final Optional<String> adminSha256;
    private final Optional<String> appSha256;

    KeyGuard(@ConfigProperty(name = "allerta.admin-key-sha256") Optional<String> adminSha256,
             @ConfigProperty(name = "allerta.app-key-sha256") Optional<String> appSha256) {
        this.adminSha256 = adminSha256.filter(h -> !h.isBlank());
        this.appSha256 = appSha256.filter(h -> !h.isBlank());
    }

    /** The key in an {@code Authorization: Bearer} header, if any. */
    public static Optional<String> bearer(String authorization) {
        if (authorization == null) {
            return Optional.empty();
        }
        String value = authorization.trim();
        if (value.regionMatches(true, 0, "Bearer ", 0, 7)) {
            String key = value.substring(7).trim();
            return key.isEmpty() || key.length() > 512 ? Optional.empty() : Optional.of(key);
        }
        return Optional.empty();
    }

    /** The role of the key, if it is the admin or the app key. */
    public Optional<Role> role(String authorization) {
        Optional<String> key = bearer(authorization);
        if (key.isEmpty()) {
            return Optional.empty();
        }
        if (adminSha256.isPresent() && ApiKeys.matches(key.get(), adminSha256.get())) {
            return Optional.of(Role.ADMIN);
        }
        if (appSha256.isPresent() && ApiKeys.matches(key.get(), appSha256.get())) {
            return Optional.of(Role.APP);
        }
        return Optional.empty();
    }

    /** 401 without a recognised key, 403 unless it has one of {@code allowed}. */
    public Role require(String authorization, Role... allowed) {
        Role role = role(authorization).orElseThrow(ProblemException::unauthenticated);
        if (!List.of(allowed).contains(role)) {
            throw ProblemException.forbidden(allowed.length == 1 && allowed[0] == Role.ADMIN ? "admin-key-required"
                    : "key-not-allowed", "This key may not do this.", List.of());
        }
        return role;
    }
}
