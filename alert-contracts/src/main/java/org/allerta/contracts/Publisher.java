package org.allerta.contracts;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.Objects;
import java.util.Set;

/**
 * A publisher as seen by every service, on the compacted {@code publishers} topic (key = publisher id).
 * Carries the SHA-256 hash of the API key so that other services can authorise a publisher's read calls;
 * never the key itself, never the signing secret.
 *
 * @param publisherId    stable id
 * @param name           display name (an organisation, not a person)
 * @param apiKeySha256   lower-case hex SHA-256 of the current API key
 * @param allowedKinds   the kinds this publisher may publish
 * @param territory      service territory, a GeoJSON Polygon or MultiPolygon in EPSG:4326; null means whole world
 * @param areaLimitKm2   largest area one event may cover
 * @param testMode       when true, every event of this publisher is a test and never reaches citizens
 * @param active         false once revoked
 * @param updatedAt      time of this version
 */
public record Publisher(
        String publisherId,
        String name,
        String apiKeySha256,
        Set<EventKind> allowedKinds,
        JsonNode territory,
        double areaLimitKm2,
        boolean testMode,
        boolean active,
        Instant updatedAt) {

    public Publisher {
        Objects.requireNonNull(publisherId, "publisherId");
        Objects.requireNonNull(name, "name");
        allowedKinds = allowedKinds == null ? Set.of() : Set.copyOf(allowedKinds);
    }
}
