package org.allerta.intake.publisher;

import java.time.Instant;
import java.util.Set;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.Publisher;
import org.allerta.service.geometry.GeoJson;
import org.locationtech.jts.geom.Geometry;

/**
 * A publisher as intake stores it: the contract's fields plus the sealed signing secret.
 *
 * @param territory null for the whole world
 */
public record PublisherRecord(
        String publisherId,
        String name,
        String apiKeySha256,
        byte[] sealedSigningSecret,
        Set<EventKind> allowedKinds,
        Geometry territory,
        double areaLimitKm2,
        boolean testMode,
        boolean active,
        Instant updatedAt) {

    /** The public form, for the {@code publishers} topic and the admin API: no secret. */
    public Publisher toContract() {
        return new Publisher(publisherId, name, apiKeySha256, allowedKinds,
                territory == null ? null : GeoJson.write(territory), areaLimitKm2, testMode, active, updatedAt);
    }
}
