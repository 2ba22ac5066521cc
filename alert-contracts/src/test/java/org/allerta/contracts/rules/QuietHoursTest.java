package org.allerta.contracts.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import org.allerta.contracts.Severity;
import org.allerta.contracts.Urgency;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class QuietHoursTest {

    private static final ZoneId ROME = ZoneId.of("Europe/Rome");
    private final QuietHours night = new QuietHours(LocalTime.of(22, 0), LocalTime.of(7, 0), ROME);

    @ParameterizedTest(name = "{0} quiet={1}")
    @CsvSource({
            // Rome is UTC+1 in November
            "2026-11-28T20:59:59Z, false",
            "2026-11-28T21:00:00Z, true",
            "2026-11-29T02:00:00Z, true",
            "2026-11-29T05:59:59Z, true",
            "2026-11-29T06:00:00Z, false",
            "2026-11-29T12:00:00Z, false",
    })
    void wrapsOverMidnightInTheSubscribersZone(Instant at, boolean quiet) {
        assertThat(night.isQuietAt(at)).isEqualTo(quiet);
    }

    @Test
    void endsAtTheNextMorning() {
        assertThat(night.endAfter(Instant.parse("2026-11-28T22:30:00Z")))
                .contains(Instant.parse("2026-11-29T06:00:00Z"));
        assertThat(night.endAfter(Instant.parse("2026-11-29T03:00:00Z")))
                .contains(Instant.parse("2026-11-29T06:00:00Z"));
        assertThat(night.endAfter(Instant.parse("2026-11-29T12:00:00Z"))).isEmpty();
    }

    @Test
    void daytimeQuietHoursDoNotWrap() {
        var siesta = new QuietHours(LocalTime.of(13, 0), LocalTime.of(15, 0), ROME);
        assertThat(siesta.isQuietAt(Instant.parse("2026-11-28T12:30:00Z"))).isTrue();
        assertThat(siesta.isQuietAt(Instant.parse("2026-11-28T14:00:00Z"))).isFalse();
        assertThat(siesta.endAfter(Instant.parse("2026-11-28T12:30:00Z")))
                .contains(Instant.parse("2026-11-28T14:00:00Z"));
    }

    @Test
    void equalBoundsMeanNoQuietHours() {
        var none = new QuietHours(LocalTime.of(7, 0), LocalTime.of(7, 0), ROME);
        assertThat(none.isQuietAt(Instant.parse("2026-11-28T06:00:00Z"))).isFalse();
    }

    @ParameterizedTest(name = "{0}/{1} bypasses={2}")
    @CsvSource({
            "EXTREME,  UNKNOWN,   true",
            "EXTREME,  FUTURE,    true",
            "SEVERE,   IMMEDIATE, true",
            "SEVERE,   EXPECTED,  false",
            "MODERATE, IMMEDIATE, false",
            "MINOR,    IMMEDIATE, false",
    })
    void onlyExtremeOrSevereImmediateBypassQuietHours(Severity severity, Urgency urgency, boolean bypasses) {
        Instant night2am = Instant.parse("2026-11-29T01:00:00Z");
        assertThat(QuietHoursPolicy.bypasses(severity, urgency)).isEqualTo(bypasses);
        assertThat(QuietHoursPolicy.holdUntil(night, severity, urgency, night2am).isEmpty()).isEqualTo(bypasses);
    }

    @Test
    void noQuietHoursMeansSendNow() {
        assertThat(QuietHoursPolicy.holdUntil(null, Severity.MINOR, Urgency.FUTURE, Instant.now())).isEmpty();
    }
}
