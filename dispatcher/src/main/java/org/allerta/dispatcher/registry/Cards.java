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
 * {@link #refresh}, which calls the database function {@code refresh_dispatch_cards} (migration V7): one definition
 * of the card, also at hand for an operator who changed those rows by hand.
 */
public final class Cards {

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
        try (PreparedStatement s = c.prepareStatement("SELECT refresh_dispatch_cards(?::uuid[])")) {
            s.setArray(1, c.createArrayOf("uuid", subscriberIds.toArray()));
            s.executeQuery().close();
        }
    }
}
