package org.allerta.contracts.sms;

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

    @Test
    void gsm7RoundTripsTheDefaultAlphabetAndItsExtension() {
        String text = "Città è più bella: 5€ [ok] {x} ~ ^ | \\ @£$¥ ÄÖÑÜ äöñüà";
        byte[] septets = Gsm7.encode(text);
        assertThat(septets).hasSize(Sms.units(text));
        assertThat(Gsm7.decode(septets)).isEqualTo(text);
        assertThat(Gsm7.encode("@")).containsExactly(0x00);
        assertThat(Gsm7.encode("€")).containsExactly(0x1B, 0x65);
        assertThat(Gsm7.encode("É")).containsExactly(0x1F);
    }

    @Test
    void longTextsAreCutIntoSegmentsWithoutSplittingACharacter() {
        String gsm = "a".repeat(152) + "€" + "b".repeat(10);
        var parts = Sms.parts(gsm);
        assertThat(parts).hasSize(2);
        assertThat(parts.get(0)).isEqualTo("a".repeat(152));
        assertThat(String.join("", parts)).isEqualTo(gsm);
        String ucs = "ш".repeat(66) + "\uD83D\uDE00" + "ш".repeat(5);
        var ucsParts = Sms.parts(ucs);
        assertThat(ucsParts).hasSize(2);
        assertThat(ucsParts.get(0)).isEqualTo("ш".repeat(66));
        assertThat(String.join("", ucsParts)).isEqualTo(ucs);
        assertThat(Sms.parts("short")).containsExactly("short");
    }
}
