package org.allerta.dispatcher.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.agroal.api.AgroalDataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;

/**
 * Every person's dispatch card says what their channel and place rows say: run after the tests that change the
 * registry through every path (registration, import, replacement, verification, unsubscribe, geocoding answers), it
 * fails as soon as one of them forgets to rewrite the card.
 */
public final class CardsCheck {

    private CardsCheck() {
    }

    /** Asserts that no subscriber's card differs from their rows. */
    public static void cardsMatchTheirRows(AgroalDataSource db) throws Exception {
        try (Connection c = db.getConnection(); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("""
                     SELECT count(*), min(s.subscriber_id::text) FROM subscriber s
                     WHERE s.card_channels IS DISTINCT FROM coalesce((
                             SELECT jsonb_agg(jsonb_build_object('id', c.channel_id, 'type', c.type,
                                                                 'address', c.address, 'kinds', to_jsonb(c.kinds))
                                              ORDER BY c.position)
                             FROM channel c
                             WHERE c.subscriber_id = s.subscriber_id AND c.verified_at IS NOT NULL
                               AND c.unsubscribed_at IS NULL), '[]')
                        OR s.card_places IS DISTINCT FROM coalesce((
                             SELECT jsonb_agg(jsonb_build_object('id', p.place_id, 'category', p.category,
                                                                 'label', p.label,
                                                                 'address', p.address)
                                              ORDER BY p.position)
                             FROM place p WHERE p.subscriber_id = s.subscriber_id), '[]')
                        OR s.card_awaiting IS DISTINCT FROM coalesce((
                             SELECT jsonb_agg(to_jsonb(c.kinds) ORDER BY c.position)
                             FROM channel c
                             WHERE c.subscriber_id = s.subscriber_id AND c.verified_at IS NULL
                               AND c.unsubscribed_at IS NULL), '[]')""")) {
            rows.next();
            assertThat(rows.getLong(1)).as("subscribers whose dispatch card differs from their rows (first: %s)",
                    rows.getString(2)).isZero();
        }
    }
}
