-- A notice that no verified channel of the person carries waits while one of their channels that would carry it
-- awaits its code (a person registered during a water cut, whose SMS follows power cuts only and whose e-mail,
-- following everything, is confirmed later, is told then). The card names, for each channel awaiting its code and
-- not unsubscribed, the kinds it follows (empty: every kind).
ALTER TABLE subscriber ADD COLUMN card_awaiting jsonb NOT NULL DEFAULT '[]';

CREATE OR REPLACE FUNCTION refresh_dispatch_cards(ids uuid[]) RETURNS void
LANGUAGE sql SET search_path FROM CURRENT AS $$
    UPDATE subscriber s SET
        card_channels = coalesce((
            SELECT jsonb_agg(jsonb_build_object('id', c.channel_id, 'type', c.type, 'address', c.address,
                                                'kinds', to_jsonb(c.kinds)) ORDER BY c.position)
            FROM channel c
            WHERE c.subscriber_id = s.subscriber_id AND c.verified_at IS NOT NULL AND c.unsubscribed_at IS NULL),
            '[]'),
        card_places = coalesce((
            SELECT jsonb_agg(jsonb_build_object('id', p.place_id, 'category', p.category, 'label', p.label,
                                                'address', p.address) ORDER BY p.position)
            FROM place p
            WHERE p.subscriber_id = s.subscriber_id),
            '[]'),
        card_awaiting = coalesce((
            SELECT jsonb_agg(coalesce(to_jsonb(c.kinds), '[]'::jsonb) ORDER BY c.position)
            FROM channel c
            WHERE c.subscriber_id = s.subscriber_id AND c.verified_at IS NULL AND c.unsubscribed_at IS NULL),
            '[]')
    WHERE s.subscriber_id = ANY (ids)
$$;

SELECT refresh_dispatch_cards(array(SELECT subscriber_id FROM subscriber));
