package org.allerta.dispatcher.render;

import org.allerta.contracts.Change;

/**
 * What a notice template sees: every value already in words, in the person's language. Publisher text (headline,
 * description, area) is data, never template: Qute prints it, escaped in HTML.
 *
 * @param name        the person's name
 * @param change      the change told
 * @param cancelled   the event was withdrawn rather than resolved
 * @param what        what happened ("interruzione di corrente")
 * @param ofWhat      the same after "of" ("dell'interruzione di corrente")
 * @param over        what its end means ("la corrente è tornata")
 * @param title       a heading that says what the notice tells ("Interruzione di corrente", "Aggiornamento:
 *                    interruzione di corrente", "La corrente è tornata"): the push title, the e-mail's subject
 * @param place       the person's place ("la tua casa in Via Dazio 90/H")
 * @param since       since when, in a sentence ("dalle 14:05"), or null
 * @param startedAt   the start time alone ("14:05", "27/11 14:05"), or null
 * @param expected    the expected end in a sentence ("Ripristino previsto alle 18:00"), or null
 * @param expectedLabel what the expected end is called ("Ripristino previsto")
 * @param expectedAt  the expected end time alone ("18:00", "29/11 18:00"), or null
 * @param headline    the publisher's headline, or null
 * @param instruction for civil protection, the publisher's headline again: what to do matters more than brevity
 * @param description the publisher's description, or null
 * @param area        the area in words, or null
 * @param publisher   who published it
 * @param link        the tracked link to the event's page
 * @param unsubscribe the one-click unsubscribe link
 * @param pixel       the open-tracking image (e-mail)
 * @param full        true for the full wording (link label, thanks); false when an SMS must fit one segment
 * @param severalPlaces the notice names more than one of the person's places (the verb agrees)
 * @param forArea     the event concerns an area rather than a supply to the building (snow clearing, schools,
 *                    transport, civil protection): the notice is "for" the place, not "at" it
 */
public record NoticeModel(
        String name,
        Change change,
        boolean cancelled,
        String what,
        String ofWhat,
        String over,
        String title,
        String place,
        String since,
        String startedAt,
        String expected,
        String expectedLabel,
        String expectedAt,
        String headline,
        String instruction,
        String description,
        String area,
        String publisher,
        String link,
        String unsubscribe,
        String pixel,
        boolean full,
        boolean severalPlaces,
        boolean forArea) {

    /** The same notice without the link label and the thanks. */
    NoticeModel brief() {
        return new NoticeModel(name, change, cancelled, what, ofWhat, over, title, place, since, startedAt, expected,
                expectedLabel, expectedAt, headline, instruction, description, area, publisher, link, unsubscribe, pixel, false,
                severalPlaces, forArea);
    }

    /** The same notice, brief, without "since when". */
    NoticeModel withoutSince() {
        return new NoticeModel(name, change, cancelled, what, ofWhat, over, title, place, null, startedAt, expected,
                expectedLabel, expectedAt, headline, instruction, description, area, publisher, link, unsubscribe, pixel, false,
                severalPlaces, forArea);
    }

    /** The same notice, brief, with another way of naming the place. */
    NoticeModel withPlace(String shorterPlace) {
        return new NoticeModel(name, change, cancelled, what, ofWhat, over, title, shorterPlace, null, startedAt,
                expected, expectedLabel, expectedAt, headline, instruction, description, area, publisher, link, unsubscribe, pixel,
                false, severalPlaces, forArea);
    }

    /**
     * The same notice with the person's own values (name, place, links) replaced by the given markers where present:
     * what every person told of the same event in the same words has in common.
     */
    NoticeModel marked(String nameMark, String placeMark, String linkMark, String unsubscribeMark, String pixelMark) {
        return new NoticeModel(name == null ? null : nameMark, change, cancelled, what, ofWhat, over, title,
                place == null ? null : placeMark, since, startedAt, expected, expectedLabel, expectedAt, headline,
                instruction, description, area, publisher, link == null ? null : linkMark,
                unsubscribe == null ? null : unsubscribeMark, pixel == null ? null : pixelMark, full, severalPlaces,
                forArea);
    }

    /** True for the change AFFECTED. */
    public boolean affected() {
        return change == Change.AFFECTED;
    }

    /** True for the change UPDATED. */
    public boolean updated() {
        return change == Change.UPDATED;
    }

    /** True for the change NO_LONGER_AFFECTED. */
    public boolean left() {
        return change == Change.NO_LONGER_AFFECTED;
    }

    /** True for the change RESOLVED. */
    public boolean resolved() {
        return change == Change.RESOLVED;
    }
}
