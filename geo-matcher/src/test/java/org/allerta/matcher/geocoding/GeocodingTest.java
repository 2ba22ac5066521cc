package org.allerta.matcher.geocoding;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import java.util.List;
import org.allerta.matcher.Gazetteers;
import org.allerta.testsupport.RealInfrastructure;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Messy spellings against the real Alessandria register. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class GeocodingTest {

    @jakarta.inject.Inject
    io.agroal.api.AgroalDataSource db;

    @jakarta.inject.Inject
    Geocoder geocoder;

    @BeforeEach
    void importsAlessandriaOnce() throws Exception {
        Gazetteers.ensureAlessandria();
    }

    static JsonPath geocode(String q) {
        return given().header("Authorization", Gazetteers.ADMIN).queryParam("q", q).get("/v1/geocode")
                .then().statusCode(200).extract().jsonPath();
    }

    /** The answer to a query that must resolve to a house number. */
    static JsonPath resolved(String q) {
        JsonPath answer = geocode(q);
        assertThat(answer.getString("result.status")).as(q).isEqualTo("RESOLVED");
        return answer;
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "Via Dazio 90/H, Alessandria         | Via Dazio 90/H, 15122 Alessandria",
            "V. Dazio 90H                        | Via Dazio 90/H, 15122 Alessandria",
            "via dazio 90 h                      | Via Dazio 90/H, 15122 Alessandria",
            "piazza della liberta 38             | Piazza Della Liberta' 38, 15121 Alessandria",
            "P.zza della Libertà 38, Alessandria | Piazza Della Liberta' 38, 15121 Alessandria",
            "Dazio 90/H                          | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90 H Alessandria          | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90/H, 15100 Alessandria   | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90/H, 15122 Alessandria (AL) | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90/H Alessandria AL       | Via Dazio 90/H, 15122 Alessandria",
            "Via Ernesto Torre 24/1              | Via Ernesto Torre 24/1, 15122 Alessandria",
            "Via Ernesto Torre, 24/1, Alessandria | Via Ernesto Torre 24/1, 15122 Alessandria",
            "Via Dazio 90/H, Valle San Bartolomeo | Via Dazio 90/H, 15122 Alessandria",
            "Via Levata 88/A, 15122 Spinetta Marengo | Via Levata 88/A, 15122 Alessandria",
            "Via Genova 86, Spinetta Marengo (AL) | Via Genova Di Spinetta Marengo 86, 15122 Alessandria",
            "Via Antonio Gramsci 54, Cascinagrossa | Via Antonio Gramsci In Cascinagrossa 54, 15122 Alessandria",
            "Via Giuseppe Garibaldi 3/A, Spinetta Marengo | Via Giuseppe Garibaldi In Spinetta Marengo 3/A, 15122 Alessandria",
            "Via Dazio, 90/H 15122 Alessandria   | Via Dazio 90/H, 15122 Alessandria",
            "Corso Roma, 10 Alessandria          | Corso Roma 10, 15121 Alessandria",
            "Via Dazio, n. 90/H                  | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90/H - 15122 Alessandria  | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90/H, Alessandria - AL    | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90/H scala B              | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90/H int. 3, Alessandria  | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90/H, Valle S. Bartolomeo | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90/H, 3° piano            | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90/H, scala B, Alessandria | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio civico 90/H               | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90/H, Alessandria, AL     | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90/H - int. 3, Alessandria | Via Dazio 90/H, 15122 Alessandria",
            "Via Dazio 90/H - scala B, Alessandria | Via Dazio 90/H, 15122 Alessandria",
            "Via Levata 88/A, Fraz. Spinetta Marengo, Alessandria | Via Levata 88/A, 15122 Alessandria",
            "Via Levata 88/A, Loc. Spinetta Marengo | Via Levata 88/A, 15122 Alessandria",
            "15122 Alessandria, Via Dazio 90/H   | Via Dazio 90/H, 15122 Alessandria",
            "Alessandria (AL), V. Dazio 90/H     | Via Dazio 90/H, 15122 Alessandria",
            // the register has 90, 90/A and 90/E to 90/H: the building, not the middle of the street
            "Via Dazio 90/B                      | Via Dazio 90, 15122 Alessandria",
    })
    void resolvesWhatPeopleWriteToTheHouseNumber(String query, String matched) {
        JsonPath answer = resolved(query);
        assertThat(answer.getString("result.matchedAddress")).isEqualTo(matched);
        assertThat(answer.getDouble("result.confidence")).isGreaterThanOrEqualTo(0.9);
        assertThat(answer.getDouble("result.point.lon")).isBetween(8.4, 8.9);
        assertThat(answer.getDouble("result.point.lat")).isBetween(44.8, 45.1);
    }

    /**
     * People write a street named after a person by the surname ("Via Mazzini"), and a hamlet's street without the
     * hamlet the register adds to its name ("Via Genova di Spinetta Marengo"), or with the hamlet written first; and a
     * street whose name holds a year or a road number with the house number after a comma. Each omission makes the
     * answer a little less sure; a number two such streets both have leaves it unsure.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "Via Mazzini 41, Alessandria           | Via Giuseppe Mazzini 41, 15121 Alessandria              | 0.85 | 0.95",
            "Via Vochieri 57                       | Via Andrea Vochieri 57, 15121 Alessandria               | 0.85 | 0.95",
            "Corso Lamarmora 10, Alessandria       | Corso Alfonso Lamarmora 10, 15121 Alessandria           | 0.85 | 0.95",
            "Via Genova 86, Alessandria            | Via Genova Di Spinetta Marengo 86, 15122 Alessandria    | 0.85 | 0.95",
            "Via Garibaldi 3/A, Spinetta Marengo   | Via Giuseppe Garibaldi In Spinetta Marengo 3/A, 15122 Alessandria | 0.8 | 0.9",
            "Via Gramsci 54, Cascinagrossa         | Via Antonio Gramsci In Cascinagrossa 54, 15122 Alessandria | 0.8 | 0.9",
            "Via Campora 3/G, Lobbi                | Via Don Angelo Campora In Lobbi 3/G, 15122 Alessandria  | 0.8 | 0.9",
            "Via Mazzini 3, Alessandria            | Via Giuseppe Mazzini In Spinetta Marengo 3, 15122 Alessandria | 0.75 | 0.85",
            "Fraz. Spinetta Marengo, Via Genova 86 | Via Genova Di Spinetta Marengo 86, 15122 Alessandria    | 0.9 | 1.0",
            "Via 28 Marzo 1921, 12, Alessandria    | Via 28 Marzo 1921 12, 15121 Alessandria                 | 0.9 | 1.0",
            "Strada Statale 35 bis dei Giovi, 5    | Strada Statale 35 Bis Dei Giovi 5, 15122 Alessandria    | 0.9 | 1.0",
            "Località Cascinali Stampa 12, Lobbi   | Localita' Cascinali Stampa 12, 15122 Alessandria        | 0.9 | 1.0",
            "Piazza Libertà 38, Alessandria        | Piazza Della Liberta' 38, 15121 Alessandria             | 0.9 | 1.0",
            "Via Fornace 5, Alessandria            | Via Della Fornace 5,                                     | 0.9 | 1.0",
            // a hamlet written short or misspelt: the one of the districts it may name that has the street
            "Via Tortona 20, 15122 Spinetta        | Via Tortona Di Spinetta Marengo 20, 15122 Alessandria   | 0.8 | 0.9",
            "Via Genova 86, Spinetta Marenco       | Via Genova Di Spinetta Marengo 86, 15122 Alessandria    | 0.8 | 0.9",
            "Via Piacenza 185/A, San Giuliano V.   | Via Piacenza Di San Giuliano Vecchio 185/A,              | 0.8 | 0.9",
            // the hamlet written first, then the city: the hamlet says more
            "Fraz. Litta Parodi, Via Genova 10, Alessandria | Via Genova Di Litta Parodi 10,                | 0.9 | 1.0",
            // the name written under another type, beside a hamlet's street of the type written: the number tells
            "Via Vittorio Veneto 2, Alessandria    | Piazza Vittorio Veneto 2,                                | 0.8 | 0.9",
            // Via dei Martiri, not Via Quattro Martiri: a number is no given name
            "Via Martiri 10                        | Via Dei Martiri 10,                                      | 0.9 | 1.0",
            // Via Genova of two hamlets, Via Giuseppe Mazzini of the city and of a hamlet: both have number 10
            "Via Genova 10, Alessandria            | Via Genova Di                                            | 0.4 | 0.6",
            "Via Mazzini 10, Alessandria           | Via Giuseppe Mazzini                                     | 0.4 | 0.6",
    })
    void aShorterFormOfTheRegistersNameIsFoundALittleLessSure(String query, String matched, double least,
                                                               double most) {
        JsonPath answer = resolved(query);
        assertThat(answer.getString("result.matchedAddress")).as(query).startsWith(matched);
        assertThat(answer.getDouble("result.confidence")).as(query).isBetween(least, most);
    }

    /**
     * Every street of the register, written in the shorter forms people use, one house number of each (the middle
     * row of the street in the file): the share found at the right house. On the code before these forms were read,
     * the same addresses: given names left out, 223 of 352 at the right house (2 of them with a confidence of 0.7
     * or more); the article left out, 45 of 66 (2); the hamlet's name left out, 11 of 96 (2); a number in the
     * street's name, 4 of 7. After: 338 (319), 65 (63), 67 (57) and 7.
     */
    @Test
    void theRegistersStreetsAreFoundInTheShorterFormsPeopleWrite() throws Exception {
        List<String[]> rows = java.nio.file.Files.readAllLines(Gazetteers.DATA.resolve(
                "alessandria-numeri-civici-EPSG3003.csv")).stream().skip(1).map(line -> line.split(";", -1)).toList();
        List<String> hamlets = rows.stream().map(r -> r[4]).distinct()
                .sorted(java.util.Comparator.comparingInt(String::length).reversed()).toList();
        var streets = new java.util.LinkedHashMap<String, List<String[]>>();
        rows.forEach(r -> streets.computeIfAbsent(r[1] + " " + r[2], k -> new java.util.ArrayList<>()).add(r));
        var asked = new java.util.TreeMap<String, int[]>();
        streets.forEach((street, ofStreet) -> {
            String[] row = ofStreet.get(ofStreet.size() / 2);
            String number = row[5] + (row[6].isEmpty() ? "" : "/" + row[6]);
            String right = (street + " " + number + ",").toLowerCase(java.util.Locale.ROOT);
            String base = row[2];
            String hamlet = null;
            for (String h : hamlets) {
                for (String joined : new String[] {" Di ", " In "}) {
                    if (hamlet == null && row[2].endsWith(joined + h)) {
                        base = row[2].substring(0, row[2].length() - (joined + h).length());
                        hamlet = h;
                    }
                }
            }
            String[] words = base.split(" ");
            boolean named = words.length >= 2 && words[words.length - 1].matches("[A-Za-z]{3,}")
                    && java.util.Arrays.stream(words, 0, words.length - 1).map(w -> w.toLowerCase(java.util.Locale.ROOT))
                    .noneMatch(w -> w.matches("di|del|della|dello|dei|degli|delle|da|de|d'|in|al|alla|e|porta|ponte"
                            + "|borgo|san|santa|santo|sant'.*|madonna"));
            var forms = new java.util.LinkedHashMap<String, String>();
            if (hamlet != null) {
                forms.put("hamlet left out", row[1] + " " + base + " " + number + ", Alessandria");
            }
            if (named) {
                forms.put("given names left out", row[1] + " " + words[words.length - 1] + " " + number + ", "
                        + (hamlet == null ? "Alessandria" : hamlet));
            }
            java.util.regex.Matcher article = java.util.regex.Pattern.compile(
                    "(?:Del|Dello|Della|Dei|Degli|Delle|Di) (\\p{L}{3,}.*)").matcher(base);
            if (article.matches()) {
                forms.put("article left out", row[1] + " " + article.group(1) + " " + number + ", "
                        + (hamlet == null ? "Alessandria" : hamlet));
            }
            if (row[2].matches(".*\\d.*")) {
                forms.put("number in the name", street + ", " + number + ", Alessandria");
            }
            forms.forEach((form, query) -> {
                Geocoded answer = geocoder.geocode(query);
                int[] tally = asked.computeIfAbsent(form, k -> new int[3]);
                tally[0]++;
                if (answer.status() == org.allerta.contracts.GeocodingStatus.RESOLVED && answer.matchedAddress()
                        .toLowerCase(java.util.Locale.ROOT).startsWith(right)) {
                    tally[1]++;
                    tally[2] += answer.confidence() >= 0.7 ? 1 : 0;
                }
            });
        });
        asked.forEach((form, tally) -> System.out.printf("%s: %d addresses, %d at the right house (%d with a"
                + " confidence of 0.7 or more)%n", form, tally[0], tally[1], tally[2]));
        assertThat(asked.get("given names left out")[0]).isGreaterThan(300);
        assertThat(asked.get("given names left out")[1]).isGreaterThanOrEqualTo(asked.get("given names left out")[0]
                * 92 / 100);
        // a hamlet's street whose name the city's own streets share ("Via Tripoli 21, Alessandria" is the city's Via
        // Tripoli) cannot be told apart: about a fifth
        assertThat(asked.get("hamlet left out")[0]).isGreaterThan(90);
        assertThat(asked.get("hamlet left out")[1]).isGreaterThanOrEqualTo(asked.get("hamlet left out")[0] * 65 / 100);
        assertThat(asked.get("number in the name")[1]).isEqualTo(asked.get("number in the name")[0]);
        assertThat(asked.get("article left out")[0]).isGreaterThan(50);
        assertThat(asked.get("article left out")[1]).isGreaterThanOrEqualTo(asked.get("article left out")[0]
                * 90 / 100);
    }

    /**
     * A shorter form stays a person's name: "Via Bosco" is not Via San Giovanni Bosco (it may be Via del Bosco).
     * And a flat's number after the comma is not read as the house's when the street holds no number: "Via Dazio 91,
     * 3" is not Via Dazio 3.
     */
    @Test
    void aShorterFormIsNoOtherStreetAndAFlatIsNoHouse() {
        String bosco = geocode("Via Bosco 3, Alessandria").getString("result.matchedAddress");
        assertThat(bosco == null ? "" : bosco).doesNotContain("San Giovanni");
        JsonPath flat = geocode("Via Dazio 91, 3, Alessandria");
        assertThat(flat.getString("result.status")).isEqualTo("STREET_CENTROID");
        assertThat(flat.getString("result.reason")).isEqualTo("NO_SUCH_NUMBER");
        assertThat(flat.getString("result.matchedAddress")).startsWith("Via Dazio,");
    }

    @Test
    void aMisspeltStreetResolvesWithALowerConfidence() {
        JsonPath answer = resolved("Via Dazzio 90/H");
        assertThat(answer.getString("result.matchedAddress")).isEqualTo("Via Dazio 90/H, 15122 Alessandria");
        assertThat(answer.getDouble("result.confidence")).isBetween(0.45, 0.95);
    }

    /**
     * Alessandria has a Via Marengo and a Spalto Marengo. Written without its type, the address is the one whose
     * house number exists (only Spalto Marengo has 3/A); a number both have leaves the answer unsure, and says so.
     */
    @Test
    void aStreetNameTwoStreetsShareIsToldApartByTheNumberOrAnsweredAsUnsure() {
        JsonPath spalto = resolved("Marengo 3A");
        assertThat(spalto.getString("result.matchedAddress")).startsWith("Spalto Marengo 3/A");
        assertThat(spalto.getDouble("result.confidence")).isGreaterThanOrEqualTo(0.9);
        JsonPath either = resolved("Marengo 10");
        assertThat(either.getString("result.matchedAddress")).contains("Marengo 10,");
        assertThat(either.getDouble("result.confidence")).isLessThan(0.7);
        assertThat(geocode("Spalto Marengo 10").getDouble("result.confidence")).isEqualTo(1.0);
    }

    /**
     * The register spells dates, regnal numbers and saints out ("Venticinque Aprile", "San Pio Quinto", "San
     * Baudolino"); people write them with digits, Roman numerals and "S.". A type that fits neither of two streets of
     * the same name ("Viale Marengo") leaves the house number to tell them apart.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "Via 25 Aprile 3                     | Via Venticinque Aprile 3,",
            "Via XXV Aprile 3                    | Via Venticinque Aprile 3,",
            "Corso XX Settembre 10               | Corso Venti Settembre 10,",
            "Corso 20 Settembre 10, Alessandria  | Corso Venti Settembre 10,",
            "Via 24 Maggio 2/A                   | Via Ventiquattro Maggio 2/A,",
            "Via Alessandro III 2                | Via Alessandro Terzo 2,",
            "Via Pio V 3                         | Via San Pio Quinto 3,",
            "Via S. Baudolino 4                  | Via San Baudolino 4,",
            "Viale Marengo 3A                    | Spalto Marengo 3/A,",
    })
    void numbersAndSaintsAreFoundAsTheRegisterSpellsThem(String query, String matched) {
        JsonPath answer = resolved(query);
        assertThat(answer.getString("result.matchedAddress")).startsWith(matched);
        assertThat(answer.getDouble("result.confidence")).isGreaterThanOrEqualTo(0.6);
    }

    /**
     * OpenAddresses writes the street's type in its name: the address is found without the type, and with the type
     * written out where the register abbreviates it, as exactly as a register with a type column.
     */
    @Test
    void anOpenAddressesStreetIsFoundWithOrWithoutItsType() {
        given().header("Authorization", Gazetteers.ADMIN).contentType("text/csv").queryParam("format", "openaddresses")
                .queryParam("source", "oa-borgo-prova")
                .body("lon,lat,number,street,city\n8.71,44.96,7,Via Garibaldona,Borgo Prova\n"
                        + "8.72,44.97,3,P.zza Garibaldona,Borgo Prova\n")
                .post("/v1/gazetteer").then().statusCode(200);
        JsonPath via = resolved("Garibaldona 7, Borgo Prova");
        assertThat(via.getString("result.matchedAddress")).startsWith("Via Garibaldona 7");
        assertThat(via.getDouble("result.confidence")).isGreaterThanOrEqualTo(0.9);
        JsonPath piazza = resolved("Piazza Garibaldona 3, Borgo Prova");
        assertThat(piazza.getString("result.matchedAddress")).startsWith("P.zza Garibaldona 3");
        assertThat(piazza.getDouble("result.confidence")).isEqualTo(1.0);
    }

    @Test
    void anUnknownNumberFallsBackToTheStreetCentroidFlaggedAsSuch() {
        JsonPath answer = geocode("Via Dazio 9999");
        assertThat(answer.getString("result.status")).isEqualTo("STREET_CENTROID");
        assertThat(answer.getString("result.reason")).isEqualTo("NO_SUCH_NUMBER");
        assertThat(answer.getDouble("result.confidence")).isLessThanOrEqualTo(0.5);
        assertThat(geocode("Via Dazio").getString("result.reason")).isEqualTo("NO_NUMBER_GIVEN");
        // a number that names the street, a kilometre along a road, "senza numero civico": no house was given, and
        // none is made up from them
        for (String noHouse : List.of("Corso Venti Settembre, Alessandria", "Corso 20 Settembre, Alessandria",
                "Via Casale km 3, Alessandria", "Via Casale km 3,5", "Via Dazio snc")) {
            JsonPath street = geocode(noHouse);
            assertThat(street.getString("result.status")).as(noHouse).isNotEqualTo("RESOLVED");
            if (street.getString("result.status").equals("STREET_CENTROID")) {
                assertThat(street.getString("result.reason")).as(noHouse).isEqualTo("NO_NUMBER_GIVEN");
            }
        }
    }

    /**
     * A city the gazetteer does not know is another city: never matched to a street of a named city, even when a
     * register without city names is there too; the streets of that register are found under any city name.
     */
    @Test
    void anAddressInAnotherCityIsNotMatchedToThisOne() {
        given().header("Authorization", Gazetteers.ADMIN).contentType("text/csv").queryParam("source", "no-city-names")
                .body("lon,lat,number,street\n8.70,44.95,5,Via Senzanome Unica\n").post("/v1/gazetteer").then()
                .statusCode(200);
        JsonPath elsewhere = geocode("Via Roma 12, Torino");
        assertThat(elsewhere.getString("result.status")).isEqualTo("UNRESOLVED");
        assertThat(elsewhere.getString("result.reason")).isEqualTo("NO_SUCH_STREET");
        JsonPath unnamed = geocode("Via Senzanome Unica 5, Borgo Qualsiasi");
        assertThat(unnamed.getString("result.status")).isEqualTo("RESOLVED");
        assertThat(unnamed.getDouble("result.point.lon")).isEqualTo(8.70);
    }

    /**
     * A known city misspelt ("Alesandria", "Alessandira") is found as the closest known name, and a city the
     * gazetteer cannot place by its name is found by its postcode; each answer a little less sure than an exact one.
     * A street that is not there is still not found.
     */
    @Test
    void aMisspeltCityIsFoundByItsNameOrItsPostcode() {
        JsonPath exact = geocode("Via Dazio 90/H, 15122 Alessandria");
        assertThat(exact.getString("result.status")).isEqualTo("RESOLVED");
        for (String text : List.of("Via Dazio 90/H, Alesandria", "Via Dazio 90/H, Alessandira",
                "Via Dazio 90/H, 15122 Alexandria Piemonte")) {
            JsonPath answer = geocode(text);
            assertThat(answer.getString("result.status")).as(text).isEqualTo("RESOLVED");
            assertThat(answer.getString("result.matchedAddress")).as(text)
                    .isEqualTo(exact.getString("result.matchedAddress"));
            assertThat(answer.getDouble("result.confidence")).as(text)
                    .isLessThan(exact.getDouble("result.confidence"));
        }
        assertThat(geocode("Via dei Mille Inesistenti 12, Alesandria").getString("result.status"))
                .isEqualTo("UNRESOLVED");
    }

    /**
     * A hamlet written as the city is looked up in its city, but only among the streets that have house numbers in
     * that hamlet: Corso Roma is in the centre of Alessandria, not in Spinetta Marengo, so the address is not found
     * rather than put in the centre.
     */
    @Test
    void aHamletWrittenAsTheCityFindsOnlyItsOwnStreets() {
        JsonPath answer = geocode("Corso Roma 10, Spinetta Marengo");
        assertThat(answer.getString("result.status")).isEqualTo("UNRESOLVED");
        assertThat(answer.getString("result.reason")).isEqualTo("NO_SUCH_STREET");
        assertThat(geocode("Corso Roma 10, Alessandria").getString("result.status")).isEqualTo("RESOLVED");
    }

    /**
     * A city the gazetteer does not hold, with a postcode that two of its cities share, each with a street of that
     * name: the house number tells them apart, and without it the answer says it is unsure.
     */
    @Test
    void aPostcodeSeveralCitiesShareIsToldApartByTheNumberOrAnsweredAsUnsure() {
        given().header("Authorization", Gazetteers.ADMIN).contentType("text/csv").queryParam("source", "shared-cap")
                .body("""
                        lon,lat,number,street,city,postcode
                        8.801,44.801,1,Via Condivisa,Paesegrande,15099
                        8.802,44.801,2,Via Condivisa,Paesegrande,15099
                        8.803,44.801,4,Via Condivisa,Paesegrande,15099
                        8.901,44.901,1,Via Condivisa,Borgopiccolo,15099
                        8.902,44.901,3,Via Condivisa,Borgopiccolo,15099
                        """).post("/v1/gazetteer").then().statusCode(200);
        JsonPath three = geocode("Via Condivisa 3, 15099 Villadeati");
        assertThat(three.getString("result.status")).isEqualTo("RESOLVED");
        assertThat(three.getString("result.matchedAddress")).contains("Borgopiccolo");
        JsonPath one = geocode("Via Condivisa 1, 15099 Villadeati");
        assertThat(one.getDouble("result.confidence")).isLessThanOrEqualTo(0.5);
    }

    /**
     * A street counted in the gazetteer whose house numbers were all deleted by hand has nowhere to put a place: not
     * found, never a point at 0°, 0°.
     */
    @Test
    void aStreetWithoutHouseNumbersLeftIsNotFound() throws Exception {
        given().header("Authorization", Gazetteers.ADMIN).contentType("text/csv").queryParam("source", "emptied")
                .body("lon,lat,number,street,city\n8.71,44.96,1,Via Svuotata,Paeseuno\n").post("/v1/gazetteer")
                .then().statusCode(200);
        assertThat(geocode("Via Svuotata, Paeseuno").getString("result.status")).isEqualTo("STREET_CENTROID");
        try (var c = db.getConnection(); var s = c.createStatement()) {
            s.executeUpdate("DELETE FROM matcher.address WHERE source = 'emptied'");
        }
        JsonPath gone = geocode("Via Svuotata, Paeseuno");
        assertThat(gone.getString("result.status")).isEqualTo("UNRESOLVED");
        assertThat(gone.getString("result.reason")).isEqualTo("NO_SUCH_STREET");
    }

    @Test
    void anAddressThatDoesNotExistIsUnresolvedWithTheReason() {
        JsonPath answer = geocode("Via dei Mille Inesistenti 12");
        assertThat(answer.getString("result.status")).isEqualTo("UNRESOLVED");
        assertThat(answer.getString("result.reason")).isEqualTo("NO_SUCH_STREET");
        assertThat(answer.getString("result.point")).isNull();
    }

    @Test
    void needsTheAdminOrAppKeyAndAQuery() {
        given().queryParam("q", "Via Dazio 1").get("/v1/geocode").then().statusCode(401);
        given().header("Authorization", Gazetteers.ADMIN).get("/v1/geocode").then().statusCode(422)
                .body("type", equalTo("urn:allerta:problem:invalid-query-parameter"));
    }
}
