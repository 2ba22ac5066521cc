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

    /**
     * Quiet hours ending at 02:30, over the nights the clocks change in Rome (2026: 29 March at 01:00 UTC, 25 October
     * at 01:00 UTC). In spring 02:30 never comes: the night ends at the change (03:00 summer time). In autumn 02:30
     * comes twice: a notice held in the second 02:xx hour goes at the second 02:30, not a day later.
     */
    @Test
    void theNightsTheClocksChangeEndWhenTheLocalTimeReachesTheEnd() {
        var late = new QuietHours(LocalTime.of(22, 0), LocalTime.of(2, 30), ROME);
        // spring: 01:45 winter time
        assertThat(late.endAfter(Instant.parse("2026-03-29T00:45:00Z")))
                .contains(Instant.parse("2026-03-29T01:00:00Z"));
        // autumn, the first 02:10 (summer time): the first 02:30
        assertThat(late.endAfter(Instant.parse("2026-10-25T00:10:00Z")))
                .contains(Instant.parse("2026-10-25T00:30:00Z"));
        // autumn, the second 02:10 (winter time): the second 02:30, the same night
        assertThat(late.endAfter(Instant.parse("2026-10-25T01:10:00Z")))
                .contains(Instant.parse("2026-10-25T01:30:00Z"));
        // 22:00-07:00 across both changes: 07:00 of the morning after
        assertThat(night.endAfter(Instant.parse("2026-03-28T22:00:00Z")))
                .contains(Instant.parse("2026-03-29T05:00:00Z"));
        assertThat(night.endAfter(Instant.parse("2026-10-24T22:00:00Z")))
                .contains(Instant.parse("2026-10-25T06:00:00Z"));
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
