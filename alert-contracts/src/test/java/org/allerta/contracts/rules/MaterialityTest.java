package org.allerta.contracts.rules;

import static org.allerta.contracts.Samples.T0;
import static org.allerta.contracts.Samples.anOutage;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.allerta.contracts.AlertEvent;
import org.allerta.contracts.Samples;
import org.allerta.contracts.Severity;
import org.allerta.contracts.Urgency;
import org.allerta.contracts.ZoneStatus;
import org.junit.jupiter.api.Test;

class MaterialityTest {

    private final AlertEvent base = anOutage().build();

    @Test
    void theFirstRevisionIsMaterial() {
        assertThat(Materiality.isMaterial(null, base)).isTrue();
    }

    @Test
    void aRepeatIsNotMaterial() {
        assertThat(Materiality.isMaterial(base, anOutage().revision(2).build())).isFalse();
    }

    @Test
    void onlyTheAreaChangingIsNotMaterial() {
        AlertEvent moved = new AlertEvent(base.eventId(), 2, base.publisherId(), base.publisherEventId(), base.kind(),
                base.status(), base.severity(), base.urgency(), false, Samples.square(8.7, 44.9, 0.05),
                "larger", base.headline(), base.description(), base.startedAt(), base.expectedRestorationAt(),
                base.expiresAt(), base.sentAt(), base.receivedAt(), base.references(), base.zone());
        assertThat(Materiality.isMaterial(base, moved)).isFalse();
    }

    @Test
    void aNewRestorationEstimateIsMaterial() {
        assertThat(Materiality.isMaterial(base, anOutage().revision(2).restorationAt(T0.plusSeconds(9000)).build()))
                .isTrue();
        assertThat(Materiality.isMaterial(base, anOutage().revision(2).restorationAt(null).build())).isTrue();
    }

    @Test
    void aNewSeverityIsMaterial() {
        assertThat(Materiality.isMaterial(base, anOutage().revision(2).severity(Severity.SEVERE).build())).isTrue();
    }

    @Test
    void newTextIsMaterial() {
        assertThat(Materiality.isMaterial(base,
                anOutage().revision(2).headline(Map.of("it", "Guasto esteso")).build())).isTrue();
    }

    @Test
    void aZoneStatusChangeIsMaterial() {
        AlertEvent started = anOutage().zone(ZoneStatus.NOT_STARTED).build();
        assertThat(Materiality.isMaterial(started, anOutage().revision(2).zone(ZoneStatus.IN_PROGRESS).build()))
                .isTrue();
        assertThat(Materiality.isMaterial(started, anOutage().revision(2).zone(ZoneStatus.NOT_STARTED).build()))
                .isFalse();
    }

    @Test
    void anUrgencyThatMakesTheEventAnEmergencyOrEndsItIsMaterialAndOtherwiseNot() {
        AlertEvent expected = anOutage().severity(Severity.SEVERE).urgency(Urgency.EXPECTED).build();
        AlertEvent immediate = anOutage().revision(2).severity(Severity.SEVERE).urgency(Urgency.IMMEDIATE).build();
        assertThat(Materiality.isMaterial(expected, immediate)).as("SEVERE: EXPECTED -> IMMEDIATE").isTrue();
        assertThat(Materiality.isMaterial(immediate, expected)).as("SEVERE: IMMEDIATE -> EXPECTED").isTrue();
        // quiet hours hold both revisions alike: the urgency alone tells nobody anything new
        assertThat(Materiality.isMaterial(anOutage().urgency(Urgency.FUTURE).build(),
                anOutage().revision(2).urgency(Urgency.IMMEDIATE).build())).as("MODERATE").isFalse();
        assertThat(Materiality.isMaterial(anOutage().severity(Severity.EXTREME).urgency(Urgency.EXPECTED).build(),
                anOutage().revision(2).severity(Severity.EXTREME).urgency(Urgency.IMMEDIATE).build()))
                .as("EXTREME").isFalse();
    }
}
