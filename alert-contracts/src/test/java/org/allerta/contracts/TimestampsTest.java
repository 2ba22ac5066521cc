package org.allerta.contracts;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Instant;
import org.allerta.contracts.Timestamps.Refusal;
import org.junit.jupiter.api.Test;

class TimestampsTest {

    @Test
    void readsAnOffsetOrZuluAndIgnoresSurroundingSpace() {
        assertEquals(Instant.parse("2026-11-28T17:30:00Z"), Timestamps.read(" 2026-11-28T18:30:00+01:00\n").instant());
        assertEquals(Instant.parse("2026-11-28T18:30:00Z"), Timestamps.read("2026-11-28T18:30:00Z").instant());
        assertNull(Timestamps.read("2026-11-28T18:30:00Z").refusal());
    }

    /** As PostgreSQL keeps it: .1234567 (as .NET writes) is .123456, never rounded up to .123457 by the driver. */
    @Test
    void keepsMicrosecondsAsTheDatabaseDoes() {
        assertEquals(Instant.parse("2026-11-28T09:00:00.123456Z"),
                Timestamps.read("2026-11-28T10:00:00.1234567+01:00").instant());
    }

    @Test
    void refusesWhatIsNoTimestampWithAnOffset() {
        for (String text : new String[] {"", "tomorrow", "2026-11-28", "2026-11-28T18:30:00", "2026-13-01T00:00:00Z"}) {
            Timestamps.Reading reading = Timestamps.read(text);
            assertNull(reading.instant(), text);
            assertEquals(Refusal.INVALID, reading.refusal(), text);
        }
    }

    @Test
    void theRangeIsTheYears1900To2199() {
        assertEquals(Timestamps.MIN, Timestamps.read("1900-01-01T00:00:00Z").instant());
        assertEquals(Refusal.OUT_OF_RANGE, Timestamps.read("1899-12-31T23:59:59Z").refusal());
        assertEquals(Instant.parse("2199-12-31T23:59:59Z"), Timestamps.read("2199-12-31T23:59:59Z").instant());
        assertEquals(Refusal.OUT_OF_RANGE, Timestamps.read("2200-01-01T00:00:00Z").refusal());
        // an offset can carry a local 2199 past the end
        assertEquals(Refusal.OUT_OF_RANGE, Timestamps.read("2199-12-31T23:30:00-01:00").refusal());
        assertEquals(Refusal.OUT_OF_RANGE, Timestamps.read("+300000-01-01T00:00:00Z").refusal());
        assertNull(Timestamps.read("+300000-01-01T00:00:00Z").instant());
    }

    @Test
    void reasonsNameTheirSubjectAndTypesAreTheProblemTypes() {
        assertEquals("timestamp-out-of-range", Refusal.OUT_OF_RANGE.type());
        assertEquals("invalid-timestamp", Refusal.INVALID.type());
        assertEquals("sentAt must lie between the years 1900 and 2199.", Refusal.OUT_OF_RANGE.reason("sentAt"));
    }
}
