package org.allerta.dispatcher.render;

import java.util.Map;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.PlaceCategory;
import org.allerta.contracts.ZoneStatus;

/**
 * The words the templates are built from, per language: what happened (by kind, and for snow clearing by the zone's
 * status), what "over" means for each kind, how a place is called. Sentences themselves live in the Qute templates
 * ({@code templates/notice/*.it.txt}, {@code *.en.txt}).
 */
final class Phrases {

    private Phrases() {
    }

    private static final Map<String, Map<EventKind, String>> WHAT = Map.of(
            "it", Map.of(
                    EventKind.POWER_OUTAGE, "interruzione di corrente",
                    EventKind.WATER_OUTAGE, "interruzione dell'acqua",
                    EventKind.GAS_OUTAGE, "interruzione del gas",
                    EventKind.ROAD_CLEARING, "sgombero neve",
                    EventKind.SCHOOL_CLOSURE, "chiusura delle scuole",
                    EventKind.TRANSPORT_DISRUPTION, "disservizio dei trasporti",
                    EventKind.CIVIL_PROTECTION, "allerta di protezione civile"),
            "en", Map.of(
                    EventKind.POWER_OUTAGE, "power cut",
                    EventKind.WATER_OUTAGE, "water cut",
                    EventKind.GAS_OUTAGE, "gas supply cut",
                    EventKind.ROAD_CLEARING, "snow clearing",
                    EventKind.SCHOOL_CLOSURE, "school closure",
                    EventKind.TRANSPORT_DISRUPTION, "transport disruption",
                    EventKind.CIVIL_PROTECTION, "civil protection alert"));

    /**
     * Italian needs the article fused with "di": "dell'interruzione". Snow clearing names the notice, not the
     * clearing: "no longer in the area of the snow clearing" would read as "your street will not be cleared", when it
     * means that this zone's notices no longer concern the place (it may lie in another zone).
     */
    private static final Map<EventKind, String> OF_WHAT_IT = Map.of(
            EventKind.POWER_OUTAGE, "dell'interruzione di corrente",
            EventKind.WATER_OUTAGE, "dell'interruzione dell'acqua",
            EventKind.GAS_OUTAGE, "dell'interruzione del gas",
            EventKind.ROAD_CLEARING, "di questo avviso di sgombero neve",
            EventKind.SCHOOL_CLOSURE, "della chiusura delle scuole",
            EventKind.TRANSPORT_DISRUPTION, "del disservizio dei trasporti",
            EventKind.CIVIL_PROTECTION, "dell'allerta di protezione civile");

    private static final Map<String, Map<ZoneStatus, String>> SNOW = Map.of(
            "it", Map.of(
                    ZoneStatus.NOT_STARTED, "strade non ancora sgomberate dalla neve",
                    ZoneStatus.IN_PROGRESS, "sgombero neve in corso",
                    ZoneStatus.CLEARED, "strade sgomberate dalla neve"),
            "en", Map.of(
                    ZoneStatus.NOT_STARTED, "roads not yet cleared of snow",
                    ZoneStatus.IN_PROGRESS, "snow clearing under way",
                    ZoneStatus.CLEARED, "roads cleared of snow"));

    private static final Map<String, Map<EventKind, String>> OVER = Map.of(
            "it", Map.of(
                    EventKind.POWER_OUTAGE, "la corrente è tornata",
                    EventKind.WATER_OUTAGE, "l'acqua è tornata",
                    EventKind.GAS_OUTAGE, "il gas è tornato",
                    EventKind.ROAD_CLEARING, "le strade sono state sgomberate",
                    EventKind.SCHOOL_CLOSURE, "le scuole riaprono",
                    EventKind.TRANSPORT_DISRUPTION, "i trasporti sono tornati regolari",
                    EventKind.CIVIL_PROTECTION, "l'allerta è terminata"),
            "en", Map.of(
                    EventKind.POWER_OUTAGE, "power is back",
                    EventKind.WATER_OUTAGE, "water is back",
                    EventKind.GAS_OUTAGE, "gas is back",
                    EventKind.ROAD_CLEARING, "the roads have been cleared",
                    EventKind.SCHOOL_CLOSURE, "schools are reopening",
                    EventKind.TRANSPORT_DISRUPTION, "transport is running normally again",
                    EventKind.CIVIL_PROTECTION, "the alert is over"));

    private static final Map<String, Map<EventKind, String>> EXPECTED = Map.of(
            "it", Map.of(
                    EventKind.POWER_OUTAGE, "Ripristino previsto",
                    EventKind.WATER_OUTAGE, "Ripristino previsto",
                    EventKind.GAS_OUTAGE, "Ripristino previsto",
                    EventKind.ROAD_CLEARING, "Sgombero previsto",
                    EventKind.SCHOOL_CLOSURE, "Riapertura prevista",
                    EventKind.TRANSPORT_DISRUPTION, "Servizio regolare previsto",
                    EventKind.CIVIL_PROTECTION, "Fine prevista"),
            "en", Map.of(
                    EventKind.POWER_OUTAGE, "Expected back",
                    EventKind.WATER_OUTAGE, "Expected back",
                    EventKind.GAS_OUTAGE, "Expected back",
                    EventKind.ROAD_CLEARING, "Clearing expected",
                    EventKind.SCHOOL_CLOSURE, "Reopening expected",
                    EventKind.TRANSPORT_DISRUPTION, "Normal service expected",
                    EventKind.CIVIL_PROTECTION, "Expected to end"));

    private static final Map<String, Map<PlaceCategory, String>> PLACE = Map.of(
            "it", Map.of(
                    PlaceCategory.HOME, "la tua casa",
                    PlaceCategory.WORK, "il tuo luogo di lavoro",
                    PlaceCategory.SCHOOL, "la scuola",
                    PlaceCategory.OTHER, "il tuo luogo"),
            "en", Map.of(
                    PlaceCategory.HOME, "your home",
                    PlaceCategory.WORK, "your workplace",
                    PlaceCategory.SCHOOL, "the school",
                    PlaceCategory.OTHER, "your place"));

    static String what(String language, EventKind kind, ZoneStatus zone) {
        if (kind == EventKind.ROAD_CLEARING && zone != null) {
            return SNOW.get(language).get(zone);
        }
        return WHAT.get(language).get(kind);
    }

    /** What a place is no longer in the area of ("dell'interruzione di corrente", "the power cut"). */
    static String ofWhat(String language, EventKind kind) {
        if (language.equals("it")) {
            return OF_WHAT_IT.get(kind);
        }
        return kind == EventKind.ROAD_CLEARING ? "this snow-clearing notice" : "the " + WHAT.get(language).get(kind);
    }

    /**
     * What the notice is about, by its name: the kind's phrase, and for snow clearing "avviso di sgombero neve" /
     * "snow-clearing notice" ("Fuori zona: sgombero neve" would read as "your street will not be cleared").
     */
    static String noticeName(String language, EventKind kind) {
        if (kind == EventKind.ROAD_CLEARING) {
            return "en".equals(language) ? "snow-clearing notice" : "avviso di sgombero neve";
        }
        return WHAT.get(language).get(kind);
    }

    static String over(String language, EventKind kind) {
        return OVER.get(language).get(kind);
    }

    static String expected(String language, EventKind kind) {
        return EXPECTED.get(language).get(kind);
    }

    static String place(String language, PlaceCategory category) {
        return PLACE.get(language).get(category);
    }

    /**
     * Kinds that concern an area rather than a supply to the building: a notice is "for" a place ("per la tua casa:
     * chiusura delle scuole"), not "at" it, as a power cut is ("interruzione di corrente presso la tua casa").
     */
    static boolean concernsAnArea(EventKind kind) {
        return switch (kind) {
            case ROAD_CLEARING, SCHOOL_CLOSURE, TRANSPORT_DISRUPTION, CIVIL_PROTECTION -> true;
            default -> false;
        };
    }

    /**
     * The heading of a notice (the push title, the e-mail's subject before the place): what happened when it is
     * told, the update, leaving the area, the withdrawal, or what its end means ("La corrente è tornata"). Italian
     * words that would need a gender to agree with ("Risolto", "interessato") are avoided.
     */
    static String heading(String language, org.allerta.contracts.Change change, boolean cancelled, String what,
                          String over) {
        boolean it = !"en".equals(language);
        if (cancelled) {
            return (it ? "Avviso annullato: " : "Withdrawn: ") + what;
        }
        return switch (change) {
            case AFFECTED -> capitalise(what);
            case UPDATED -> (it ? "Aggiornamento: " : "Update: ") + what;
            case NO_LONGER_AFFECTED -> (it ? "Fuori zona: " : "No longer affected: ") + what;
            case RESOLVED -> capitalise(over);
        };
    }

    private static String capitalise(String text) {
        return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
    }
}
