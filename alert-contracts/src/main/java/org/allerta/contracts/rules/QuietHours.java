package org.allerta.contracts.rules;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.zone.ZoneRules;
import java.util.List;
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

    /**
     * When the quiet hours containing {@code instant} end: the first instant after it whose local time reaches
     * {@code to}. Over the clock changes: when {@code to} is skipped (spring), at the change; when it comes twice
     * (autumn), at whichever of the two comes first after {@code instant}. Empty when {@code instant} is not quiet.
     */
    public Optional<Instant> endAfter(Instant instant) {
        if (!isQuietAt(instant)) {
            return Optional.empty();
        }
        LocalDate day = instant.atZone(zone).toLocalDate();
        for (int days = 0; days <= 2; days++) {
            Optional<Instant> end = endOn(day.plusDays(days), instant);
            if (end.isPresent()) {
                return end;
            }
        }
        throw new IllegalStateException("no end of quiet hours within two days of " + instant);
    }

    /** The first instant on {@code date} with the local time {@code to} that comes after {@code after}. */
    private Optional<Instant> endOn(LocalDate date, Instant after) {
        LocalDateTime local = date.atTime(to);
        ZoneRules rules = zone.getRules();
        List<ZoneOffset> offsets = rules.getValidOffsets(local);
        if (offsets.isEmpty()) {
            // skipped by the spring change: the local time passes it at the change itself
            Instant change = rules.getTransition(local).getInstant();
            return change.isAfter(after) ? Optional.of(change) : Optional.empty();
        }
        return offsets.stream().map(local::toInstant).filter(t -> t.isAfter(after)).min(Instant::compareTo);
    }
}
