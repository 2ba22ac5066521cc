package org.allerta.dispatcher.registry;

import jakarta.enterprise.context.ApplicationScoped;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.Map;
import java.util.TreeMap;
import org.allerta.service.Jdbc;

/**
 * The registry in numbers, for the city's IT office: subscribers, channels per type (verified, waiting for their
 * code, unsubscribed), places per geocoding outcome, including those the matcher has not answered yet. Counts only.
 */
@ApplicationScoped
public class RegistrySummary {

    private final Jdbc jdbc;

    RegistrySummary(Jdbc jdbc) {
        this.jdbc = jdbc;
    }

    /** Channels of one type. */
    public record Channels(long verified, long awaitingVerification, long unsubscribed) {
    }

    /**
     * The summary.
     *
     * @param subscribers registered people
     * @param channels    per channel type
     * @param places      per geocoding status; {@code PENDING} = the matcher has not answered yet
     * @param unresolved  unresolved places per reason
     */
    public record Summary(long subscribers, Map<String, Channels> channels, Map<String, Long> places,
                          Map<String, Long> unresolved) {
    }

    public Summary summary() {
        return jdbc.inTransaction(c -> {
            long subscribers;
            try (PreparedStatement s = c.prepareStatement("SELECT count(*) FROM subscriber");
                 ResultSet rows = s.executeQuery()) {
                rows.next();
                subscribers = rows.getLong(1);
            }
            var channels = new TreeMap<String, Channels>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT type, count(*) FILTER (WHERE verified_at IS NOT NULL AND unsubscribed_at IS NULL),
                           count(*) FILTER (WHERE verified_at IS NULL AND unsubscribed_at IS NULL),
                           count(*) FILTER (WHERE unsubscribed_at IS NOT NULL)
                    FROM channel GROUP BY type""");
                 ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    channels.put(rows.getString(1), new Channels(rows.getLong(2), rows.getLong(3), rows.getLong(4)));
                }
            }
            var places = new TreeMap<String, Long>();
            var unresolved = new TreeMap<String, Long>();
            try (PreparedStatement s = c.prepareStatement("""
                    SELECT coalesce(geocoding_status, 'PENDING'), geocoding_reason, count(*) FROM place
                    GROUP BY 1, 2""");
                 ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    places.merge(rows.getString(1), rows.getLong(3), Long::sum);
                    if ("UNRESOLVED".equals(rows.getString(1))) {
                        unresolved.merge(String.valueOf(rows.getString(2)), rows.getLong(3), Long::sum);
                    }
                }
            }
            return new Summary(subscribers, channels, places, unresolved);
        });
    }
}
