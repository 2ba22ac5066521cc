package org.allerta.dispatcher.render;

import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Change;
import org.allerta.contracts.EventKind;
import org.allerta.contracts.EventStatus;
import org.allerta.contracts.PlaceCategory;
import org.allerta.contracts.Severity;
import org.allerta.contracts.Urgency;
import org.allerta.contracts.ZoneRef;
import org.allerta.contracts.ZoneStatus;
import org.allerta.dispatcher.render.NoticeInput.PlaceRef;

/** Notices as citizens of Alessandria would receive them, for the rendering tests. */
final class Samples {

    static final Instant NOW = Instant.parse("2026-11-28T15:10:00Z");
    static final String BASE = "https://allerta.comune.alessandria.it";
    static final String TOKEN = "Qx7fK2mB9pLc4Rz1Vt8sWa";

    private Samples() {
    }

    static AlertEvent event(EventKind kind, EventStatus status, ZoneStatus zone) {
        return new AlertEvent("ev-1", 2, "pub-1", "OMS-42", kind, status, Severity.MODERATE, Urgency.EXPECTED, false,
                null, "Quartiere Cristo", Map.of("it", "Guasto alla cabina di Via Casalbagliano",
                "en", "Fault at the Via Casalbagliano substation"),
                Map.of("it", "Squadre al lavoro.", "en", "Crews are on site."),
                Instant.parse("2026-11-28T13:05:00Z"), Instant.parse("2026-11-28T17:00:00Z"), null, NOW, NOW,
                List.of(), zone == null ? null : new ZoneRef("zona-7", "Zona 7 - Cristo", zone, null, null));
    }

    static NoticeInput input(String name, String language, AlertEvent event, Change change, List<PlaceRef> places) {
        return new NoticeInput(name, language, ZoneId.of("Europe/Rome"), event, change, places,
                "Distribuzione Elettrica Alessandria", BASE + "/r/" + TOKEN, BASE + "/u/" + TOKEN,
                BASE + "/o/" + TOKEN + ".gif", NOW);
    }

    static List<PlaceRef> home() {
        return List.of(new PlaceRef(PlaceCategory.HOME, "Casa", "Via Dazio 90/H"));
    }
}
