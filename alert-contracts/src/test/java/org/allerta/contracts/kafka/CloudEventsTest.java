package org.allerta.contracts.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import org.allerta.contracts.MatchChange;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.junit.jupiter.api.Test;

class CloudEventsTest {

    @Test
    void theHeadersWrittenAreTheAttributesInTheirOrderAndReadBack() {
        Instant time = Instant.parse("2026-11-30T02:15:30.123456Z");
        var attributes = CloudEvents.Attributes.of("ev-1/2/s-9", "geo-matcher", MatchChange.class, time, "s-9");
        var headers = attributes.addTo(new RecordHeaders());
        var written = new LinkedHashMap<String, String>();
        for (Header header : headers) {
            written.put(header.key(), new String(header.value(), StandardCharsets.UTF_8));
        }
        assertThat(written).containsExactlyEntriesOf(attributes.asHeaders());
        assertThat(written).containsEntry("ce_source", "/allerta/geo-matcher")
                .containsEntry("ce_type", "org.allerta.MatchChange").containsEntry("ce_specversion", "1.0")
                .containsEntry("ce_time", "2026-11-30T02:15:30.123456Z").containsEntry("content-type", "application/json");
        assertThat(CloudEvents.read(headers)).isEqualTo(attributes);

        // a record's header value is its own: changing it changes no other record's
        headers.lastHeader("ce_type").value()[0] = 'X';
        var next = CloudEvents.Attributes.of("ev-1/2/s-10", "geo-matcher", MatchChange.class, time, null)
                .addTo(new RecordHeaders());
        assertThat(new String(next.lastHeader("ce_type").value(), StandardCharsets.UTF_8))
                .isEqualTo("org.allerta.MatchChange");
        assertThat(next.lastHeader("ce_subject")).isNull();
    }

    @Test
    void recordsOfTheSameMillisecondShareTheirTimeAndEachTimeIsWrittenAsItIs() {
        Instant now = CloudEvents.now();
        assertThat(now.getNano() % 1_000_000).as("to the millisecond").isZero();
        Instant t1 = Instant.parse("2026-12-02T03:00:00.001Z");
        Instant t2 = Instant.parse("2026-12-02T03:00:00.002Z");
        String first = CloudEvents.text(t1);
        assertThat(CloudEvents.text(Instant.parse("2026-12-02T03:00:00.001Z"))).isSameAs(first);
        assertThat(CloudEvents.text(t2)).isEqualTo("2026-12-02T03:00:00.002Z");
        assertThat(CloudEvents.text(t1)).isEqualTo("2026-12-02T03:00:00.001Z");
        var headers = CloudEvents.Attributes.of("ev-1/1/s-1", "geo-matcher", MatchChange.class, t2, null)
                .addTo(new RecordHeaders());
        assertThat(new String(headers.lastHeader("ce_time").value(), StandardCharsets.UTF_8))
                .isEqualTo("2026-12-02T03:00:00.002Z");
    }
}
