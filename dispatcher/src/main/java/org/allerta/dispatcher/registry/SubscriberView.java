package org.allerta.dispatcher.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.allerta.contracts.Channel;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.GeocodingStatus;
import org.allerta.contracts.PlaceCategory;

/** A subscriber as the city's app sees it: channels with their verification, places with their geocoding. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SubscriberView(
        String id,
        String externalId,
        String name,
        String language,
        List<ChannelView> channels,
        List<PlaceView> places,
        Set<EventKind> interests,
        Set<Registration.Profile> profile,
        PriorityView priority,
        QuietHoursView quietHours,
        Instant createdAt,
        Instant updatedAt) {

    /** A channel; only verified, subscribed channels receive notices. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ChannelView(String id, Channel type, String address, Set<EventKind> kinds, boolean verified,
                              Instant verifiedAt, String consentSource, Instant unsubscribedAt) {
    }

    /** A place and what geocoding made of it (null until the matcher has answered). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record PlaceView(String id, String label, PlaceCategory category, String address, Double lon, Double lat,
                            Geocoding geocoding) {
    }

    /** The matcher's answer for a place. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Geocoding(GeocodingStatus status, String matchedAddress, Double confidence, String reason,
                            Instant at) {
    }

    /** The priority flag and its consent. */
    public record PriorityView(boolean medicallyDependent, Consent consent) {
    }

    /** When and with which wording the person consented. */
    public record Consent(Instant at, String wording) {
    }

    /** Quiet hours, local time in {@code zone}. */
    public record QuietHoursView(String from, String to, String zone) {
    }

}
