package org.allerta.matcher.gazetteer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.allerta.matcher.Gazetteers;
import org.allerta.matcher.gazetteer.AddressNormaliser.Parsed;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class AddressNormaliserTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "Via Dazio 90/H, Alessandria       | via      | dazio            | 90h    |       | alessandria",
            "V. Dazio 90H                      | via      | dazio            | 90h    |       | ",
            "via dazio 90 h                    | via      | dazio            | 90h    |       | ",
            "VIA DAZIO, 90/H, 15122 ALESSANDRIA| via      | dazio            | 90h    | 15122 | alessandria",
            "piazza della liberta 1            | piazza   | della liberta    | 1      |       | ",
            "P.za della Libertà 1, Alessandria | piazza   | della liberta    | 1      |       | alessandria",
            "P.zza Garibaldi 12 bis            | piazza   | garibaldi        | 12bis  |       | ",
            "V.le Medaglie d'Oro 3             | viale    | medaglie d oro   | 3      |       | ",
            "C.so Roma 100                     | corso    | roma             | 100    |       | ",
            "L.go Catania 2/A                  | largo    | catania          | 2a     |       | ",
            "Str. Cerca di Valle San Bartolomeo 70 | strada | cerca di valle san bartolomeo | 70 | | ",
            "Vic. Cavour 4                     | vicolo   | cavour           | 4      |       | ",
            "V.lo Valle Quarta 2               | vicolo   | valle quarta     | 2      |       | ",
            "P.tta Santa Lucia 3               | piazzetta| santa lucia      | 3      |       | ",
            "Via Dazio 90 H Alessandria        | via      | dazio            | 90h    |       | alessandria",
            "Via Dazio 90/H 15122 Alessandria  | via      | dazio            | 90h    | 15122 | alessandria",
            "P.le Berlinguer 5                 | piazzale | berlinguer       | 5      |       | ",
            "Via Roberto Ardigo' 8             | via      | roberto ardigo   | 8      |       | ",
            "Via XX Settembre 27, 15121 Alessandria | via | xx settembre     | 27     | 15121 | alessandria",
            "Via 4 Novembre 10                 | via      | 4 novembre       | 10     |       | ",
            "Via Dazio                         | via      | dazio            |        |       | ",
            "Via Ernesto Torre 24/1            | via      | ernesto torre    | 24/1   |       | ",
            "Via Ernesto Torre, 24/1, Alessandria | via   | ernesto torre    | 24/1   |       | alessandria",
            "Via Ernesto Torre 24 / 1 Alessandria | via   | ernesto torre    | 24/1   |       | alessandria",
            "Via Dazio, 90/H 15122 Alessandria | via      | dazio            | 90h    | 15122 | alessandria",
            "Corso Roma, 10 Alessandria        | corso    | roma             | 10     |       | alessandria",
            "Via Dazio, n. 90                  | via      | dazio            | 90     |       | ",
            "Via Dazio, civico 90/H, Alessandria | via    | dazio            | 90h    |       | alessandria",
            "Via Dazio 90/H - 15122 Alessandria | via     | dazio            | 90h    | 15122 | alessandria",
            "Via Dazio 90/H, Alessandria - AL  | via      | dazio            | 90h    |       | alessandria al",
            "Via Dazio 90/H scala B            | via      | dazio            | 90h    |       | ",
            "Via Dazio 90 int. 3               | via      | dazio            | 90     |       | ",
            "Corso Roma 10 int. 4, Alessandria | corso    | roma             | 10     |       | alessandria",
            "Via Dazio, 90 interno 2, Alessandria | via   | dazio            | 90     |       | alessandria",
            "Via della Scala 4                 | via      | della scala      | 4      |       | ",
            "Via Roma 5, Saint-Vincent         | via      | roma             | 5      |       | saint-vincent",
            "Via Roma 5, Bolzano/Bozen         | via      | roma             | 5      |       | bolzano/bozen",
            "Via Scala 4 scala A               | via      | scala            | 4      |       | ",
            // a floor or a flat is not the house number, and the house's own number wins over a later one
            "Via Dazio 90, 3° piano            | via      | dazio            | 90     |       | ",
            "Via Dazio 90 2° piano             | via      | dazio            | 90     |       | ",
            "Via Dazio 90 primo piano          | via      | dazio            | 90     |       | ",
            "Via Dazio 90, primo piano, Alessandria | via | dazio            | 90     |       | alessandria",
            "Via Dazio 90, 3                   | via      | dazio            | 90     |       | ",
            "Via del Piano 5                   | via      | del piano        | 5      |       | ",
            // parts about the building, 'no number' and the province's initials are neither number nor city
            "Via Dazio 90, scala B, Alessandria | via     | dazio            | 90     |       | alessandria",
            "Via Dazio, snc, Alessandria       | via      | dazio            |        |       | alessandria",
            "Via Dazio snc                     | via      | dazio            |        |       | ",
            "Via Dazio 90, AL                  | via      | dazio            | 90     |       | ",
            "Via Dazio 90, Alessandria, AL     | via      | dazio            | 90     |       | alessandria",
            // a number that is the street's name is no house number
            "Corso 20 Settembre, Alessandria   | corso    | 20 settembre     |        |       | alessandria",
            "Via 4 Novembre                    | via      | 4 novembre       |        |       | ",
            "Via 4 Novembre, 10                | via      | 4 novembre       | 10     |       | ",
            // a kilometre along a road is no house number
            "Via Casale km 3, Alessandria      | via      | casale           |        |       | alessandria",
            "Via Casale km 3,5                 | via      | casale           |        |       | ",
            "Strada Provinciale 10 Km. 12+300  | strada provinciale | 10     |        |       | ",
            // the word that says a number is one, wherever it stands
            "Corso Roma civico 3               | corso    | roma             | 3      |       | ",
            "Via Dazio n. 90/H                 | via      | dazio            | 90h    |       | ",
            // a flat after a dash or a suffix word is not the house number either
            "Via Dazio 12 - int. 3, Alessandria | via     | dazio            | 12     |       | alessandria",
            "Via Dazio 12 bis int. 3           | via      | dazio            | 12bis  |       | ",
            "Via Dazio 90 - scala B, Alessandria | via    | dazio            | 90     |       | alessandria",
            // the word before a hamlet's name is not part of it
            "Via Levata 88/A, Fraz. Spinetta Marengo, Alessandria | via | levata | 88a |  | spinetta marengo",
            "Via Levata 88/A Loc. Spinetta Marengo | via  | levata           | 88a    |       | spinetta marengo",
            // a hamlet written first is the city; a street whose type is Località is not a hamlet
            "Fraz. Spinetta Marengo, Via Genova 86 | via  | genova           | 86     |       | spinetta marengo",
            "Fraz. Litta Parodi, Via Genova 10, Alessandria | via | genova   | 10     |       | litta parodi",
            "Località Cascinali Stampa 12, Lobbi | localita | cascinali stampa | 12     |       | lobbi",
            "Loc. Cascinali Stampa, 12           | localita | cascinali stampa | 12     |       | ",
            // the city first, as some forms write it
            "15121 Alessandria, Via Dazio 90/H   | via      | dazio            | 90h    | 15121 | alessandria",
            "Alessandria (AL), V. Dazio 90/H     | via      | dazio            | 90h    |       | alessandria al",
    })
    void splitsAddressesAsPeopleWriteThem(String text, String type, String street, String number, String postcode,
                                          String city) {
        assertThat(AddressNormaliser.parse(text)).isEqualTo(new Parsed(type, street, number == null ? "" : number,
                postcode == null ? "" : postcode, city == null ? "" : city));
    }

    /**
     * A street whose name holds a number, the house number after a comma: the second reading keeps the first part
     * whole. An address with no such choice has none.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "Via 28 Marzo 1921, 12, Alessandria | via     | 28 marzo 1921            | 12 | alessandria",
            "Strada Statale 35 bis dei Giovi, 5 | strada  | statale 35 bis dei giovi | 5  | ",
            "Via Dazio 90, 3                    | via     | dazio 90                 | 3  | ",
    })
    void aStreetNamedWithANumberHasASecondReading(String text, String type, String street, String number,
                                                  String city) {
        assertThat(AddressNormaliser.wholeFirstPart(text)).contains(new Parsed(type, street, number, "",
                city == null ? "" : city));
    }

    @Test
    void anAddressWithOneReadingHasNoSecond() {
        assertThat(AddressNormaliser.wholeFirstPart("Via Dazio 90/H, Alessandria")).isEmpty();
        assertThat(AddressNormaliser.wholeFirstPart("Via Dazio, 90/H")).isEmpty();
        assertThat(AddressNormaliser.wholeFirstPart("Via 28 Marzo 1921 12")).isEmpty();
        assertThat(AddressNormaliser.namesNumber("Via 28 Marzo 1921 12, 15121 Alessandria", "1921")).isTrue();
        assertThat(AddressNormaliser.namesNumber("Via Dazio 3, 15122 Alessandria", "90")).isFalse();
        assertThat(AddressNormaliser.namesNumber("Strada Statale 35 Bis Dei Giovi 5, 15122", "35bis")).isTrue();
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource({"90, H, 90h", "12, bis, 12bis", "7, , 7", "5, /a, 5a", "1, 1, 1/1", "11, , 11",
            // one field with both, as OpenAddresses writes them: 24/1 is not 241, 1/1 is not 11
            "24/1, , 24/1", "1/1, , 1/1", "90/H, , 90h", "12 bis, , 12bis"})
    void gluesSuffixesToNumbers(String number, String suffix, String expected) {
        assertThat(AddressNormaliser.number(number, suffix)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"Via, via", "V.le, viale", "Strada Provinciale, strada provinciale", "Localita', localita",
            "Piazzetta, piazzetta", "P.zza, piazza"})
    void spellsOutStreetTypes(String type, String expected) {
        assertThat(AddressNormaliser.streetType(type)).isEqualTo(expected);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            "25 aprile          | venticinque aprile",
            "xxv aprile         | venticinque aprile",
            "1 maggio           | primo maggio",
            "xx settembre       | venti settembre",
            "21 aprile          | ventuno aprile",
            "28 marzo 1921      | ventotto marzo 1921",
            "23 marzo           | ventitre marzo",
            "pio v              | pio quinto",
            "vittorio emanuele ii | vittorio emanuele secondo",
            "alessandro iii     | alessandro terzo",
            "s baudolino        | san baudolino",
    })
    void spellsNumbersAndSaintsAsRegistersDo(String street, String first) {
        assertThat(AddressNormaliser.spellings(street)).first().isEqualTo(first);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "Via Garibaldi            | Via       | Garibaldi",
            "P.zza Duomo              | P.zza     | Duomo",
            "V.le Medaglie d'Oro      | V.le      | Medaglie d'Oro",
            "Strada Provinciale 10    | Strada Provinciale | 10",
            "Vicolo  Cavour           | Vicolo    | Cavour",
    })
    void splitsTheTypeOffAStreetWrittenWithIt(String street, String type, String name) {
        assertThat(AddressNormaliser.splitType(street)).containsExactly(type, name);
    }

    @Test
    void aStreetWithoutTypeIsNotSplit() {
        assertThat(AddressNormaliser.splitType("Garibaldi")).isNull();
        assertThat(AddressNormaliser.splitType("Via")).isNull();
        assertThat(AddressNormaliser.splitType("Viareggio")).isNull();
    }

    @Test
    void aNameWithoutNumberOrSaintHasNoOtherSpelling() {
        assertThat(AddressNormaliser.spellings("dazio")).isEmpty();
        assertThat(AddressNormaliser.spellings("dei mille")).isEmpty();
        assertThat(AddressNormaliser.spellings("vivaldi")).isEmpty();
    }

    /** The definition {@link AddressNormaliser#clean} implements in one pass, spelt as regular expressions. */
    private static String cleanByDefinition(String text) {
        return Normalizer.normalize(text, Normalizer.Form.NFD).replaceAll("\\p{M}+", "").toLowerCase(Locale.ROOT)
                .replaceAll("[^\\p{L}\\d/\\-]+", " ").replaceAll("\\s+", " ").trim();
    }

    @Test
    void cleaningAgreesWithItsDefinitionOnTheRegisterAndOnAwkwardText() throws Exception {
        List<String> texts = new ArrayList<>(List.of("", " ", "Via Roberto Ardigo'", "P.za della Libertà",
                "  SANT’ANTONIO  ", "Strada\tVecchia\nPavia", "Łódź 12/b", "Straße-Süd", "Ærø", "İstanbul",
                "12 – 14", "«Piazza» \"Duomo\"", "Vicolo dell'Ëco", "\uD835\uDC00lfa 3", "Café\u0301",
                "Ｖｉａ Ｒｏｍａ", "٣ via", "x\u00A0y", "a/b-c", "--/--", "Nº 5"));
        for (String line : Files.readAllLines(Gazetteers.DATA.resolve("alessandria-numeri-civici-EPSG3003.csv"),
                StandardCharsets.UTF_8)) {
            texts.addAll(List.of(line.split(";", -1)));
        }
        for (String text : texts) {
            assertThat(AddressNormaliser.clean(text)).as(text).isEqualTo(cleanByDefinition(text));
            assertThat(AddressNormaliser.streetName(text)).as(text)
                    .isEqualTo(cleanByDefinition(text).replace('/', ' ').replace('-', ' ').replaceAll("\\s+", " ")
                            .trim());
        }
    }
}
