-- What dispatch needs of a person's channels and places, kept with the person: a batch of notices reads one row per
-- person instead of probing three tables. Derived data: refresh_dispatch_cards rewrites it from the channel and place
-- rows, and the registry calls it after every change of them, in the same transaction (registry.Cards); the channel
-- and place tables stay the source. A place is named by the citizen's own words (its address or label).
ALTER TABLE subscriber
    ADD COLUMN card_channels jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN card_places   jsonb NOT NULL DEFAULT '[]';

CREATE FUNCTION refresh_dispatch_cards(ids uuid[]) RETURNS void
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
            '[]')
    WHERE s.subscriber_id = ANY (ids)
$$;

SELECT refresh_dispatch_cards(array(SELECT subscriber_id FROM subscriber));
