package org.allerta.dispatcher.registry;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.Collection;
import java.util.UUID;

/**
 * A person's dispatch card: their verified, subscribed channels and their places, as JSON on their subscriber row,
 * so that a batch of notices reads one row per person instead of probing three tables. The card is derived: every
 * change of a person's channels or places rewrites it from those rows, in the same transaction, with
 * {@link #refresh}.
 */
public final class Cards {

    /** Rewrites the cards of the subscribers given as a uuid array (1). */
    static final String REFRESH = """
            UPDATE subscriber s SET
                card_channels = coalesce((
                    SELECT jsonb_agg(jsonb_build_object('id', c.channel_id, 'type', c.type, 'address', c.address,
                                                        'kinds', to_jsonb(c.kinds)) ORDER BY c.position)
                    FROM channel c
                    WHERE c.subscriber_id = s.subscriber_id AND c.verified_at IS NOT NULL
                      AND c.unsubscribed_at IS NULL),
                    '[]'),
                card_places = coalesce((
                    SELECT jsonb_agg(jsonb_build_object('id', p.place_id, 'category', p.category, 'label', p.label,
                                                        'address', p.address) ORDER BY p.position)
                    FROM place p
                    WHERE p.subscriber_id = s.subscriber_id),
                    '[]')
            WHERE s.subscriber_id = ANY (?)""";

    private Cards() {
    }

    /**
     * Locks these subscribers' rows before their channels or places are changed, in the order erasure takes them
     * (the person, then their rows): a change and an erasure of the same person wait for each other instead of
     * deadlocking.
     */
    public static void lock(Connection c, Collection<UUID> subscriberIds) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("""
                SELECT 1 FROM subscriber WHERE subscriber_id = ANY (?) ORDER BY subscriber_id FOR NO KEY UPDATE""")) {
            s.setArray(1, c.createArrayOf("uuid", subscriberIds.toArray()));
            s.executeQuery().close();
        }
    }

    /** Rewrites these subscribers' cards from their channel and place rows. */
    public static void refresh(Connection c, Collection<UUID> subscriberIds) throws SQLException {
        if (subscriberIds.isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement(REFRESH)) {
            s.setArray(1, c.createArrayOf("uuid", subscriberIds.toArray()));
            s.executeUpdate();
        }
    }
}
