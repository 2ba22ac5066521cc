package org.allerta.dispatcher.registry;

import java.time.Instant;
import java.util.List;
import java.util.Set;
import org.allerta.contracts.Channel;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.LonLat;
import org.allerta.contracts.PlaceCategory;
import org.allerta.contracts.rules.QuietHours;

/**
 * A validated registration, as the city's app or the admin sent it (addresses normalised).
 *
 * @param externalId the app's own id for the person, unique per app; null when not given
 * @param name       how the person is addressed in messages
 * @param language   "it" or "en"
 * @param channels   the channels, in the person's order
 * @param places     the places, in the person's order
 * @param interests  the kinds followed
 * @param profile    who the person is (RESIDENT, PARENT...)
 * @param priority   prioritised, with consent; null when not
 * @param quietHours null when none
 */
public record Registration(
        String externalId,
        String name,
        String language,
        List<ChannelInput> channels,
        List<PlaceInput> places,
        Set<EventKind> interests,
        Set<Profile> profile,
        PriorityConsent priority,
        QuietHours quietHours) {

    /**
     * A digest of what this registration says, whatever the order of its sets: two requests that say the same thing
     * have the same fingerprint (the {@code externalId} aside).
     */
    public String fingerprint() {
        var text = new StringBuilder();
        text.append(name).append('\u0001').append(language).append('\u0001');
        for (ChannelInput channel : channels) {
            text.append(channel.type()).append('\u0002').append(channel.address()).append('\u0002')
                    .append(new java.util.TreeSet<>(channel.kinds())).append('\u0002').append(channel.verified())
                    .append('\u0002').append(channel.consentSource()).append('\u0003');
        }
        text.append('\u0001');
        for (PlaceInput place : places) {
            text.append(place.label()).append('\u0002').append(place.category()).append('\u0002')
                    .append(place.address()).append('\u0002').append(place.point()).append('\u0003');
        }
        text.append('\u0001').append(new java.util.TreeSet<>(interests)).append('\u0001')
                .append(new java.util.TreeSet<>(profile)).append('\u0001').append(priority).append('\u0001')
                .append(quietHours);
        return org.allerta.service.ApiKeys.sha256(text.toString());
    }

    /** Who a person is; the city's app uses it to group people, the rules do not. */
    public enum Profile { RESIDENT, BUSINESS, PARENT, STUDENT, WORKER, VULNERABLE, CARER }

    /**
     * One channel.
     *
     * @param type          the channel
     * @param address       normalised address
     * @param kinds         the kinds this channel carries; empty = all interests
     * @param verified      registered as already verified (admin only)
     * @param consentSource where the consent of an already verified channel came from
     */
    public record ChannelInput(Channel type, String address, Set<EventKind> kinds, boolean verified,
                               String consentSource) {
    }

    /**
     * One place: an address to geocode or a point.
     *
     * @param label    the person's name for it ("Casa", "Scuola di Luca"); may be null
     * @param category HOME, WORK, SCHOOL or OTHER
     * @param address  as written, or null
     * @param point    as given, or null
     */
    public record PlaceInput(String label, PlaceCategory category, String address, LonLat point) {
    }

    /**
     * The priority flag and the consent that allows storing it.
     *
     * @param consentAt when the person consented
     * @param wording   the version of the consent text
     */
    public record PriorityConsent(Instant consentAt, String wording) {
    }
}
