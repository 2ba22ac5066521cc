package org.allerta.contracts.rules;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Objects;
import java.util.Optional;

/**
 * A subscriber's quiet hours: from {@code from} (inclusive) to {@code to} (exclusive) local time in {@code zone},
 * wrapping over midnight when {@code from} is after {@code to} (22:00–07:00). Equal bounds mean no quiet hours.
 * Immutable and thread-safe.
 */
public record QuietHours(LocalTime from, LocalTime to, ZoneId zone) {

    public QuietHours {
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(zone, "zone");
    }

    /** True when {@code instant} falls inside the quiet hours. */
    public boolean isQuietAt(Instant instant) {
        if (from.equals(to)) {
            return false;
        }
        LocalTime local = instant.atZone(zone).toLocalTime();
        return from.isBefore(to)
                ? !local.isBefore(from) && local.isBefore(to)
                : !local.isBefore(from) || local.isBefore(to);
    }

    /** When the quiet hours containing {@code instant} end; empty when {@code instant} is not quiet. */
    public Optional<Instant> endAfter(Instant instant) {
        if (!isQuietAt(instant)) {
            return Optional.empty();
        }
        ZonedDateTime local = instant.atZone(zone);
        ZonedDateTime end = local.toLocalDate().atTime(to).atZone(zone);
        if (!end.isAfter(local)) {
            end = local.toLocalDate().plusDays(1).atTime(to).atZone(zone);
        }
        return Optional.of(end.toInstant());
    }
}
