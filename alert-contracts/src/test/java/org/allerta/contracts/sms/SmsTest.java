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
        // pasted from a word processor: a non-breaking hyphen, a soft hyphen, a zero-width space, low and angle quotes
        String pasted = Sms.plain("\ufeffAllerta arancione\u2011caldo \u2022 \u201aper\u2019 tutta la pro\u00advincia"
                + "\u200b \u2039oggi\u203a \u201fsempre\u201d \u2015 5\u2032");
        assertThat(pasted).isEqualTo("Allerta arancione-caldo - 'per' tutta la provincia 'oggi' \"sempre\" - 5'");
        assertThat(Sms.encoding(pasted)).isEqualTo(Sms.Encoding.GSM7);
    }

    /**
     * A name whose accent GSM-7 lacks (common among Italy's Albanian and Romanian communities) would make every SMS
     * to that person UCS-2, three segments instead of one: the SMS writes the letter without it, as phones do.
     */
    @Test
    void lettersWhoseAccentGsm7LacksAreWrittenWithoutIt() {
        assertThat(Sms.plain("Zoë, Mădălina, Ștefan, Łukasz, François, Ørjan, Niccolò, Çelik"))
                .isEqualTo("Zoe, Madalina, Stefan, Lukasz, Francois, Ørjan, Niccolò, Çelik");
        String notice = Sms.plain("Mădălina, interruzione di corrente presso la tua casa in Via Dazio 90/H."
                + " Ripristino previsto alle 11:00. https://allerta.example/r/AAAAAAAAAAAAAAAAAAAAAA");
        assertThat(notice.length()).as("one segment in GSM-7, three in UCS-2").isBetween(141, 160);
        assertThat(Sms.encoding(notice)).isEqualTo(Sms.Encoding.GSM7);
        assertThat(Sms.segments(notice)).isEqualTo(1);
        assertThat(Sms.plain("Мария, Ελένη")).as("other scripts stay as they are").isEqualTo("Мария, Ελένη");
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

    /**
     * The fast paths (a text already plain is returned as it is; the segments counted in one pass) give what the
     * character-by-character rules give, on texts mixing every character those rules treat specially. The rules for
     * plain text are {@link Sms#rewrite}, whose replacements typographyIsMadePlainSoThatTextStaysGsm7 checks.
     */
    @Test
    void fastPathsAgreeWithTheRulesCharacterByCharacter() {
        String alphabet = "ab Z9.€[^ \u00a0\t\n\r\u2018\u2019\u201b\u00b4`\u201c\u201d\u201e\u00ab\u00bb\u2013\u2014"
                + "\u2212\u2026\u2028\u2029\u00c8\u00c0\u00cc\u00d2\u00d9\u00e1\u00ed\u00f3\u00fa\u00e8шé\u000b"
                + "ëăşłœ\u202f°\u00ad\u00b7\u200b\u2011\u201a\u2039\u2022\u2033\ufeff";
        var random = new java.util.Random(20261130L);
        int plainAlready = 0;
        for (int n = 0; n < 20_000; n++) {
            var text = new StringBuilder();
            int length = random.nextInt(n % 10 == 0 ? 400 : 12);
            boolean simple = n % 2 == 0;
            for (int i = 0; i < length; i++) {
                text.append(simple ? "abc dé€[".charAt(random.nextInt(8)) : alphabet.charAt(random.nextInt(alphabet.length())));
            }
            String t = text.toString();
            String plain = Sms.plain(t);
            assertThat(plain).as("plain of [%s]", t).isEqualTo(Sms.rewrite(t));
            if (plain.equals(t)) {
                plainAlready++;
            }
            assertThat(Sms.segments(t)).as("segments of [%s]", t).isEqualTo(referenceSegments(t));
        }
        assertThat(plainAlready).isGreaterThan(1_000);
    }

    private static int referenceSegments(String text) {
        boolean gsm = Gsm7.encodable(text);
        int units = 0;
        if (gsm) {
            for (int i = 0; i < text.length(); i++) {
                units += Gsm7.extended(text.charAt(i)) ? 2 : 1;
            }
        } else {
            units = text.length();
        }
        int single = gsm ? 160 : 70;
        int part = gsm ? 153 : 67;
        return units <= single ? 1 : (units + part - 1) / part;
    }
}
