package org.allerta.dispatcher.render;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Change;
import org.allerta.contracts.PlaceCategory;

/**
 * Everything a personal notice is made of.
 *
 * @param name        the person's name
 * @param language    "it" or "en"
 * @param zone        the person's time zone (times are written in it)
 * @param event       the revision that caused the notice
 * @param change      the change told
 * @param places      the person's places concerned, in their order
 * @param publisher   the publisher's display name
 * @param link        tracked link to the event's page
 * @param unsubscribe one-click unsubscribe link
 * @param pixel       open-tracking image link
 * @param now         the time of rendering ("dalle 14:05" or "dal 27/11 alle 14:05")
 */
public record NoticeInput(
        String name,
        String language,
        ZoneId zone,
        AlertEvent event,
        Change change,
        List<PlaceRef> places,
        String publisher,
        String link,
        String unsubscribe,
        String pixel,
        Instant now) {

    /**
     * A place as the person registered it.
     *
     * @param category its category
     * @param label    the person's name for it, or null
     * @param address  the address as written (or as matched), or null
     */
    public record PlaceRef(PlaceCategory category, String label, String address) {
    }
}
