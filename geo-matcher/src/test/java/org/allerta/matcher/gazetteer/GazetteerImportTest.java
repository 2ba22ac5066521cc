package org.allerta.matcher.gazetteer;

import static io.restassured.RestAssured.given;
import static org.assertj.core.api.Assertions.assertThat;
import static org.hamcrest.Matchers.equalTo;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.List;
import org.allerta.matcher.Gazetteers;
import org.allerta.testsupport.LocalPostgis;
import org.allerta.testsupport.RealInfrastructure;
import org.junit.jupiter.api.Test;

/** The real Alessandria register (EPSG:3003) into PostGIS. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class GazetteerImportTest {

    static final String ADMIN = Gazetteers.ADMIN;
    static final Path DATA = Gazetteers.DATA;

    static Response importAlessandria() throws Exception {
        return Gazetteers.importAlessandria();
    }

    @Test
    void importsEveryHouseNumberOfAlessandriaOnceAndAgainChangesNothing() throws Exception {
        long distinct = Files.readAllLines(DATA.resolve("alessandria-numeri-civici-EPSG3003.csv")).stream().skip(1)
                .map(l -> l.split(";", -1)).map(f -> f[0] + "|" + AddressNormaliser.number(f[5], f[6])).distinct()
                .count();
        Response first = importAlessandria();
        first.then().statusCode(200).body("rowsRead", equalTo(26160));
        long inserted = first.jsonPath().getLong("inserted");
        long unchanged = first.jsonPath().getLong("unchanged");
        long duplicates = first.jsonPath().getLong("refused.duplicate-in-file");
        assertThat(inserted + unchanged).isEqualTo(distinct);
        assertThat(duplicates).as("house numbers listed twice in the file").isEqualTo(26160 - distinct)
                .isGreaterThanOrEqualTo(37);

        importAlessandria().then().statusCode(200).body("rowsRead", equalTo(26160)).body("inserted", equalTo(0))
                .body("updated", equalTo(0)).body("unchanged", equalTo((int) distinct))
                .body("imported", equalTo((int) distinct)).body("refinementPending", equalTo(false));
        try (Connection c = LocalPostgis.shared().connect(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM matcher.address WHERE source = 'alessandria'"); ResultSet rows = s.executeQuery()) {
            rows.next();
            assertThat(rows.getLong(1)).isEqualTo(distinct);
        }
    }

    @Test
    void drawsTheAreaOfADistrictFromItsOwnAddresses() throws Exception {
        Gazetteers.ensureAlessandria();
        Response districts = given().header("Authorization", ADMIN).get("/v1/gazetteer/districts");
        districts.then().statusCode(200);
        // the register's QuartiereSobborgo column, largest first
        assertThat(districts.jsonPath().getString("[0].district")).isEqualTo("Centro");
        assertThat(districts.jsonPath().getList("district")).hasSize(23).contains("Orti", "Pista", "Cristo");

        Response orti = given().header("Authorization", ADMIN).queryParam("bufferMetres", 30)
                .get("/v1/gazetteer/districts/Orti/area");
        orti.then().statusCode(200).body("type", equalTo("Feature")).body("geometry.type", equalTo("Polygon"))
                .body("properties.district", equalTo("Orti"));
        String geometry = org.allerta.contracts.Json.toString(orti.jsonPath().getMap("geometry"));
        try (Connection c = LocalPostgis.shared().connect(); PreparedStatement s = c.prepareStatement("""
                SELECT count(*) FILTER (WHERE district = 'Orti'),
                       count(*) FILTER (WHERE district = 'Orti' AND ST_Covers(ST_GeomFromGeoJSON(?), geom)),
                       count(*) FILTER (WHERE ST_Covers(ST_GeomFromGeoJSON(?), geom))
                FROM matcher.address WHERE source = 'alessandria'""")) {
            s.setString(1, geometry);
            s.setString(2, geometry);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                assertThat(orti.jsonPath().getLong("properties.addresses")).isEqualTo(rows.getLong(1));
                assertThat(rows.getLong(2)).as("every address of the district is inside its area")
                        .isEqualTo(rows.getLong(1));
                assertThat(rows.getLong(3)).as("a neighbourhood, not the whole city")
                        .isLessThan(3 * rows.getLong(1));
            }
        }

        given().get("/v1/gazetteer/districts").then().statusCode(401);
        given().header("Authorization", "Bearer test-app-key").get("/v1/gazetteer/districts").then().statusCode(401);
        given().header("Authorization", ADMIN).get("/v1/gazetteer/districts/Atlantide/area").then().statusCode(404)
                .contentType("application/problem+json");
        given().header("Authorization", ADMIN).queryParam("bufferMetres", -1).get("/v1/gazetteer/districts/Orti/area")
                .then().statusCode(422).contentType("application/problem+json");

        // a district name another city has too is one district only with its city: a hull around both cities'
        // addresses would cover the country between them
        importInto("test-centro-elsewhere", "Borgocentrale", "CodiceVia;DUG;DUF;CAP;QuartiereSobborgo;Civico;"
                + "Esponente;InizioValidita;SezCensimento;CoordX;CoordY\n"
                + "1;Via;Roma;15996;Centro;1;;2001-08-31;1;1490000.0;4990000.0\n").then().statusCode(200);
        given().header("Authorization", ADMIN).get("/v1/gazetteer/districts/Centro/area").then().statusCode(409)
                .body("type", equalTo("urn:allerta:problem:ambiguous-district"));
        given().header("Authorization", ADMIN).queryParam("city", "Alessandria")
                .get("/v1/gazetteer/districts/Centro/area").then().statusCode(200)
                .body("properties.city", equalTo("Alessandria"));
        given().header("Authorization", ADMIN).queryParam("city", "Borgocentrale")
                .get("/v1/gazetteer/districts/Centro/area").then().statusCode(200)
                .body("properties.addresses", equalTo(1));
    }

    @Test
    void placesTheTwelveReferencePointsWithinFiveMetresOfTheirIndependentCoordinates() throws Exception {
        importAlessandria().then().statusCode(200);
        List<String> lines = Files.readAllLines(DATA.resolve("alessandria-reference-points.csv"));
        assertThat(lines).hasSize(13);
        try (Connection c = LocalPostgis.shared().connect()) {
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split(";", -1);
                String street = AddressNormaliser.streetType(f[0]) + " " + AddressNormaliser.streetName(f[1]);
                String number = AddressNormaliser.number(f[2], f[3]);
                try (PreparedStatement s = c.prepareStatement("""
                        SELECT ST_Distance(geom::geography, ST_SetSRID(ST_MakePoint(?, ?), 4326)::geography)
                        FROM matcher.address WHERE source = 'alessandria' AND street_norm = ? AND number_norm = ?""")) {
                    s.setDouble(1, Double.parseDouble(f[7]));
                    s.setDouble(2, Double.parseDouble(f[8]));
                    s.setString(3, street);
                    s.setString(4, number);
                    try (ResultSet rows = s.executeQuery()) {
                        assertThat(rows.next()).as(line).isTrue();
                        assertThat(rows.getDouble(1)).as(line).isLessThan(5.0);
                    }
                }
            }
        }
    }

    @Test
    void aStreetRenamedInTheRegisterIsFoundUnderItsNewNameOnlyOnceReimported() {
        // a town of its own, so that no other test's street can answer; the register renames street 7 under its code
        String header = "CodiceVia;DUG;DUF;CAP;QuartiereSobborgo;Civico;Esponente;InizioValidita;SezCensimento;"
                + "CoordX;CoordY\n";
        String before = header + "7;Via;Quintino Sella;15999;Centro;1;;2001-08-31;1;1471500.0;4975500.0\n"
                + "7;Via;Quintino Sella;15999;Centro;3;;2001-08-31;1;1471510.0;4975500.0\n"
                + "8;Piazza;Garibaldi;15999;Centro;2;;2001-08-31;1;1471600.0;4975600.0\n";
        String after = before.replace("Via;Quintino Sella", "Viale;Giacomo Matteotti");
        for (String file : List.of(before, after)) {
            importInto("test-rename", "Roccarenata", file).then().statusCode(200).body("rowsRead", equalTo(3));
            boolean renamed = file.equals(after);
            given().header("Authorization", ADMIN).queryParam("q", "Via Quintino Sella 3, Roccarenata")
                    .get("/v1/geocode").then().statusCode(200)
                    .body("result.status", equalTo(renamed ? "UNRESOLVED" : "RESOLVED"));
            given().header("Authorization", ADMIN).queryParam("q", "V.le Giacomo Matteotti 3, Roccarenata")
                    .get("/v1/geocode").then().statusCode(200)
                    .body("result.status", equalTo(renamed ? "RESOLVED" : "UNRESOLVED"));
            // a misspelt name is looked up among the streets, with their house numbers counted
            given().header("Authorization", ADMIN).queryParam("q", "Piazza Garibaldy 2, Roccarenata")
                    .get("/v1/geocode").then().statusCode(200).body("result.status", equalTo("RESOLVED"))
                    .body("result.matchedAddress", org.hamcrest.Matchers.startsWith("Piazza Garibaldi 2"));
        }
    }

    @Test
    void aChangedRegisterUpdatesOnlyWhatChangedAndKeepsEachStreetsCountExact() throws Exception {
        String header = "CodiceVia;DUG;DUF;CAP;QuartiereSobborgo;Civico;Esponente;InizioValidita;SezCensimento;"
                + "CoordX;CoordY\n";
        String before = header + "21;Via;Giuseppe Verdi;15998;Centro;1;;2001-08-31;1;1471500.0;4975500.0\n"
                + "21;Via;Giuseppe Verdi;15998;Centro;3;;2001-08-31;1;1471510.0;4975500.0\n"
                + "21;Via;Giuseppe Verdi;15998;Centro;5;;2001-08-31;1;1471520.0;4975500.0\n"
                + "22;Piazza;Cavour;15998;Centro;2;;2001-08-31;1;1471600.0;4975600.0\n";
        // Piazza Cavour 2 moved 200 m north; Via Verdi 5 now belongs to another street name under the same code, so
        // that Via Verdi is only recounted as the street that number left
        String after = before.replace("2;;2001-08-31;1;1471600.0;4975600.0", "2;;2001-08-31;1;1471600.0;4975800.0")
                .replace("Giuseppe Verdi;15998;Centro;5;", "Giuseppe Mazzini;15998;Centro;5;");
        importInto("test-changes", "Borgomutato", before).then().statusCode(200).body("inserted", equalTo(4));
        double[] old = point("Piazza Cavour 2, Borgomutato");
        importInto("test-changes", "Borgomutato", after).then().statusCode(200).body("inserted", equalTo(0))
                .body("updated", equalTo(2)).body("unchanged", equalTo(2));
        double[] moved = point("Piazza Cavour 2, Borgomutato");
        assertThat(moved[1] - old[1]).as("latitude moved by about 200 m").isBetween(0.0017, 0.0019);
        assertThat(point("Via Giuseppe Mazzini 5, Borgomutato")).isNotNull();
        assertThat(streetCounts("borgomutato")).isEqualTo(java.util.Map.of(
                "via giuseppe verdi", 2L, "via giuseppe mazzini", 1L, "piazza cavour", 1L));
        importInto("test-changes", "Borgomutato", after).then().statusCode(200).body("updated", equalTo(0))
                .body("unchanged", equalTo(4));
    }

    @Test
    void twoImportsOfOneSourceAtOnceBothSucceedOneAfterTheOther() throws Exception {
        var file = new StringBuilder("CodiceVia;DUG;DUF;CAP;QuartiereSobborgo;Civico;Esponente;InizioValidita;"
                + "SezCensimento;CoordX;CoordY\n");
        for (int i = 1; i <= 5000; i++) {
            file.append(i / 100).append(";Via;Parallela ").append(i / 100).append(";15997;Centro;").append(i)
                    .append(";;2001-08-31;1;").append(1471000 + i % 100).append(".0;").append(4975000 + i / 100)
                    .append(".0\n");
        }
        long analysed = manualAnalyses();
        var pool = java.util.concurrent.Executors.newFixedThreadPool(2);
        try {
            var a = pool.submit(() -> importInto("test-concurrent", "Doppiaporta", file.toString()));
            var b = pool.submit(() -> importInto("test-concurrent", "Doppiaporta", file.toString()));
            Response first = a.get();
            Response second = b.get();
            first.then().statusCode(200);
            second.then().statusCode(200);
            assertThat(List.of(first.jsonPath().getInt("inserted"), second.jsonPath().getInt("inserted")))
                    .containsExactlyInAnyOrder(5000, 0);
            assertThat(first.jsonPath().getInt("unchanged") + second.jsonPath().getInt("unchanged")).isEqualTo(5000);
        } finally {
            pool.shutdownNow();
        }
        assertThat(streetCounts("doppiaporta")).hasSize(51).containsEntry("via parallela 7", 100L);
        // more than a tenth of the gazetteer is new: the import gathered the planner's statistics itself
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> manualAnalyses() > analysed);
    }

    private static long manualAnalyses() throws Exception {
        try (Connection c = LocalPostgis.shared().connect(); PreparedStatement s = c.prepareStatement(
                "SELECT analyze_count FROM pg_stat_user_tables WHERE schemaname = 'matcher' AND relname = 'address'");
             ResultSet rows = s.executeQuery()) {
            rows.next();
            return rows.getLong(1);
        }
    }

    /** A civici file (EPSG:3003) of one source and city, through the public API. */
    /**
     * OpenAddresses: a suffix is written in NUMBER; UNIT is a flat of the building, which shares its point and is no
     * address of its own; DISTRICT is the province, not a neighbourhood.
     */
    @Test
    void openAddressesFlatsAreTheirBuildingAndItsDistrictIsNoNeighbourhood() {
        String file = "LON,LAT,NUMBER,STREET,UNIT,CITY,DISTRICT,REGION,POSTCODE\n"
                + "8.9101,44.6101,12,Via Roma,,Borgolibero,AL,Piemonte,15999\n"
                + "8.9102,44.6102,12,Via Roma,Int. 1,Borgolibero,AL,Piemonte,15999\n"
                + "8.9103,44.6103,12,Via Roma,Int. 2,Borgolibero,AL,Piemonte,15999\n"
                + "8.9111,44.6111,14,Via Roma,Scala A,Borgolibero,AL,Piemonte,15999\n"
                + "8.9112,44.6112,14,Via Roma,Scala B,Borgolibero,AL,Piemonte,15999\n"
                + "8.9121,44.6121,90/H,Via Roma,,Borgolibero,AL,Piemonte,15999\n"
                + "8.9131,44.6131,16,Via Roma,,Borgolibero,AL,Piemonte,15999\n"
                + "8.9132,44.6132,16,Via Roma,,Borgolibero,AL,Piemonte,15999\n";
        Response report = given().header("Authorization", ADMIN).contentType("text/csv")
                .queryParam("source", "test-openaddresses").queryParam("format", "openaddresses").body(file)
                .post("/v1/gazetteer");
        report.then().statusCode(200).body("rowsRead", equalTo(8)).body("unitsFolded", equalTo(3))
                .body("refused.duplicate-in-file", equalTo(1));
        assertThat(report.jsonPath().getLong("inserted") + report.jsonPath().getLong("unchanged"))
                .as("12, 14, 90/H and 16").isEqualTo(4);

        // the building's own row gives its point; a building listed by its flats alone has one of theirs
        Response twelve = given().header("Authorization", ADMIN).queryParam("q", "Via Roma 12, Borgolibero")
                .get("/v1/geocode");
        twelve.then().statusCode(200).body("result.status", equalTo("RESOLVED"))
                .body("result.confidence", equalTo(1.0f));
        assertThat(twelve.jsonPath().getDouble("result.point.lon")).isCloseTo(8.9101,
                org.assertj.core.api.Assertions.within(1e-6));
        given().header("Authorization", ADMIN).queryParam("q", "Via Roma 14, Borgolibero").get("/v1/geocode").then()
                .statusCode(200).body("result.status", equalTo("RESOLVED")).body("result.confidence", equalTo(1.0f));
        given().header("Authorization", ADMIN).queryParam("q", "V. Roma 90 H, Borgolibero").get("/v1/geocode").then()
                .statusCode(200).body("result.status", equalTo("RESOLVED"))
                .body("result.matchedAddress", org.hamcrest.Matchers.containsString("90/H"));
        given().header("Authorization", ADMIN).get("/v1/gazetteer/districts").then().statusCode(200)
                .body("district", org.hamcrest.Matchers.not(org.hamcrest.Matchers.hasItem("AL")));
    }

    /** A backslash or a tab in a value, or in the city given, is stored as written: it is data, not COPY's syntax. */
    @Test
    void aBackslashOrATabInAValueIsStoredAsWritten() throws Exception {
        String file = "CodiceVia;DUG;DUF;CAP;QuartiereSobborgo;Civico;Esponente;InizioValidita;SezCensimento;"
                + "CoordX;CoordY\n"
                + "31;Via;Forno\\Vecchio;15997;Centro;1;;2001-08-31;1;1471500.0;4975500.0\n"
                + "32;Via;Tessitori;15997;Porta\tNuova;2;;2001-08-31;1;1471510.0;4975500.0\n"
                + "33;Via;Mulini;15997;Centro;3;;2001-08-31;1;1471520.0;4975500.0\n";
        importInto("test-escapes", "San Pietro\\Borgo", file).then().statusCode(200).body("inserted", equalTo(3));
        try (Connection c = LocalPostgis.shared().connect(); PreparedStatement s = c.prepareStatement("""
                SELECT street, district, city FROM matcher.address WHERE source = 'test-escapes'
                ORDER BY source_key""");
             ResultSet rows = s.executeQuery()) {
            var stored = new java.util.ArrayList<List<String>>();
            while (rows.next()) {
                stored.add(List.of(rows.getString(1), rows.getString(2), rows.getString(3)));
            }
            assertThat(stored).containsExactly(List.of("Forno\\Vecchio", "Centro", "San Pietro\\Borgo"),
                    List.of("Tessitori", "Porta\tNuova", "San Pietro\\Borgo"),
                    List.of("Mulini", "Centro", "San Pietro\\Borgo"));
        }
    }

    private static Response importInto(String source, String city, String file) {
        return given().header("Authorization", ADMIN).contentType("text/csv").queryParam("source", source)
                .queryParam("format", "civici").queryParam("srid", 3003).queryParam("city", city)
                .body(file).post("/v1/gazetteer");
    }

    private static double[] point(String address) {
        Response r = given().header("Authorization", ADMIN).queryParam("q", address).get("/v1/geocode");
        r.then().statusCode(200).body("result.status", equalTo("RESOLVED"));
        return new double[] {r.jsonPath().getDouble("result.point.lon"), r.jsonPath().getDouble("result.point.lat")};
    }

    private static java.util.Map<String, Long> streetCounts(String cityNorm) throws Exception {
        var counts = new java.util.HashMap<String, Long>();
        try (Connection c = LocalPostgis.shared().connect(); PreparedStatement s = c.prepareStatement(
                "SELECT street_norm, addresses FROM matcher.address_street WHERE city_norm = ?")) {
            s.setString(1, cityNorm);
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    counts.merge(rows.getString(1), rows.getLong(2), Long::sum);
                }
            }
        }
        return counts;
    }

    @Test
    void reportsRefusedRowsPerReasonAndRefusesBadRequests() {
        String csv = "lon,lat,number,street,unit,city,district,region,postcode\n"
                + "8.61,44.91,1,Via Roma,,Alessandria,,,15121\n"
                + "eight,44.91,2,Via Roma,,Alessandria,,,15121\n"
                + "8.61,44.91,3,,,Alessandria,,,15121\n"
                + "8.61,44.91\n"
                + "8.61,144.91,4,Via Roma,,Alessandria,,,15121\n"
                // a separator inside a value shifts the columns: one field too many
                + "8.61,44.91,5,Via Roma, angolo Via Milano,,Alessandria,,,15121\n"
                // a stray quote spoils its own line only
                + "8.61,44.91,6,\"Via Roma,,Alessandria,,,15121\n"
                + "8.61,44.91,7,Via Roma,,Alessandria,,,15121\n"
                + "8.61,44.91,8,Via " + "x".repeat(70_000) + ",,Alessandria,,,15121\n"
                // an empty coordinate written as zeros is no house in the Gulf of Guinea
                + "0,0,10,Via Roma,,Alessandria,,,15121\n"
                // a NUL, which no column stores: that row alone
                + "8.61,44.91,11,Via Ro\u0000ma,,Alessandria,,,15121\n";
        byte[] windows1252 = "8.61,44.91,9,Via Citt\u00e0,,Alessandria,,,15121\n"
                .getBytes(java.nio.charset.Charset.forName("windows-1252"));
        var body = new java.io.ByteArrayOutputStream();
        body.writeBytes(csv.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        body.writeBytes(windows1252);
        given().header("Authorization", ADMIN).contentType("text/csv").queryParam("source", "test-refusals")
                .body(body.toByteArray()).post("/v1/gazetteer").then().statusCode(200)
                .body("rowsRead", equalTo(12)).body("inserted", equalTo(2))
                .body("refused.invalid-coordinates", equalTo(1)).body("refused.missing-street", equalTo(1))
                .body("refused.wrong-column-count", equalTo(3)).body("refused.coordinates-out-of-range", equalTo(2))
                .body("refused.line-too-long", equalTo(1)).body("refused.invalid-encoding", equalTo(2));
        // a projected row outside its projection's domain (PostGIS cannot transform it) is refused, not fatal
        String civici = "CodiceVia;DUG;DUF;CAP;QuartiereSobborgo;Civico;Esponente;InizioValidita;SezCensimento;"
                + "CoordX;CoordY\n"
                + "1;Via;Roma;15121;Centro;1;;2001-08-31;1;1471500.0;4975500.0\n"
                + "1;Via;Roma;15121;Centro;2;;2001-08-31;1;1e15;-99999999999999999999\n";
        importInto("test-domain", "Alessandria", civici).then().statusCode(200)
                .body("rowsRead", equalTo(2)).body("inserted", equalTo(1))
                .body("refused.coordinates-out-of-range", equalTo(1));
        given().contentType("text/csv").queryParam("source", "x").body(csv).post("/v1/gazetteer")
                .then().statusCode(401);
        given().header("Authorization", ADMIN).contentType("text/csv").queryParam("source", "x")
                .queryParam("format", "shapefile").body(csv).post("/v1/gazetteer").then().statusCode(422);
        given().header("Authorization", ADMIN).contentType("text/csv").queryParam("source", "x")
                .queryParam("srid", "999999").body(csv).post("/v1/gazetteer").then().statusCode(422)
                .body("type", equalTo("urn:allerta:problem:unknown-srid"));
        given().header("Authorization", ADMIN).contentType("text/csv").queryParam("source", "x")
                .body("street,number\nVia Roma,1\n").post("/v1/gazetteer").then().statusCode(422)
                .body("type", equalTo("urn:allerta:problem:missing-column"));
    }
}
