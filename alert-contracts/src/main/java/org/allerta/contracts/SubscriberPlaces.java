package org.allerta.contracts;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Everything the geo-matcher may know about one subscriber, on the compacted {@code subscribers.places} topic
 * (key = subscriber id; a tombstone erases the subscriber). No name, no contact, no free-text label: only place
 * ids, categories, an address to geocode or a point, the kinds followed and the priority flag.
 *
 * @param subscriberId  opaque subscriber id
 * @param places        the subscriber's places
 * @param followedKinds the kinds the subscriber follows
 * @param priority      medically dependent (with consent): matched and notified first
 * @param updatedAt     time of this version
 */
public record SubscriberPlaces(
        String subscriberId,
        List<Place> places,
        Set<EventKind> followedKinds,
        boolean priority,
        Instant updatedAt) {

    public SubscriberPlaces {
        Objects.requireNonNull(subscriberId, "subscriberId");
        places = places == null ? List.of() : List.copyOf(places);
        followedKinds = followedKinds == null ? Set.of() : Set.copyOf(followedKinds);
    }

    /**
     * One place: either an address to geocode or a point (EPSG:4326).
     *
     * @param placeId  opaque id, stable while the place exists
     * @param category HOME, WORK, SCHOOL or OTHER
     * @param address  the address as the citizen wrote it, or null when a point is given
     * @param point    lon/lat when given, or null
     */
    public record Place(String placeId, PlaceCategory category, String address, LonLat point) {
        public Place {
            Objects.requireNonNull(placeId, "placeId");
            category = category == null ? PlaceCategory.OTHER : category;
            if (address == null && point == null) {
                throw new IllegalArgumentException("a place needs an address or a point");
            }
        }
    }
}
