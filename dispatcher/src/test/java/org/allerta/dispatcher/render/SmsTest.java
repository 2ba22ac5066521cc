package org.allerta.dispatcher.render;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SmsTest {

    @Test
    void gsm7SegmentsCountExtensionCharactersTwice() {
        assertThat(Sms.encoding("Città è più bella")).isEqualTo(Sms.Encoding.GSM7);
        assertThat(Sms.segments("a".repeat(160))).isEqualTo(1);
        assertThat(Sms.segments("a".repeat(161))).isEqualTo(2);
        assertThat(Sms.units("€")).isEqualTo(2);
        assertThat(Sms.segments("€".repeat(80))).isEqualTo(1);
        assertThat(Sms.segments("€".repeat(81))).isEqualTo(2);
        assertThat(Sms.segments("a".repeat(306))).isEqualTo(2);
        assertThat(Sms.segments("a".repeat(307))).isEqualTo(3);
    }

    @Test
    void ucs2WhenACharacterIsOutsideGsm7() {
        assertThat(Sms.encoding("Perché “così”")).isEqualTo(Sms.Encoding.UCS2);
        assertThat(Sms.segments("ш".repeat(70))).isEqualTo(1);
        assertThat(Sms.segments("ш".repeat(71))).isEqualTo(2);
        assertThat(Sms.segments("ш".repeat(134))).isEqualTo(2);
        assertThat(Sms.segments("ш".repeat(135))).isEqualTo(3);
    }

    @Test
    void typographyIsMadePlainSoThatTextStaysGsm7() {
        String plain = Sms.plain("L’acqua “torna”\u00a0alle 18 – forse… È così");
        assertThat(plain).isEqualTo("L'acqua \"torna\" alle 18 - forse... E' così");
        assertThat(Sms.encoding(plain)).isEqualTo(Sms.Encoding.GSM7);
    }
}
