package org.allerta.dispatcher.registry;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.hasItem;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.agroal.api.AgroalDataSource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.path.json.JsonPath;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.allerta.contracts.Json;
import org.allerta.contracts.LonLat;
import org.allerta.contracts.SubscriberPlaces;
import org.allerta.contracts.Topics;
import org.allerta.testsupport.RealInfrastructure;
import org.allerta.testsupport.TopicReader;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/** Bulk registration from CSV: rows registered on their own, refused rows reported, a second run changes nothing. */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class ImportTest {

    @Test
    void aCsvOfPeopleIsRegisteredOnceWithAReport() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String csv = """
                externalId,name,language,sms,email,category,label,address,lon,lat,interests,quietFrom,quietTo,consentSource
                imp-1-%1$s,Giulia Rossi,it,333 123 4567,,HOME,Casa,"Via Dazio 90/H, Alessandria",,,POWER_OUTAGE|WATER_OUTAGE,22:00,07:00,"registro comunale, 2025"
                imp-2-%1$s,John Smith,en,,john@example.org,WORK,Office,,8.61,44.91,ROAD_CLEARING,,,
                imp-3-%1$s,Nessuno,it,12,,HOME,,,,,METEORS,,,
                """.formatted(run);
        for (int attempt = 1; attempt <= 2; attempt++) {
            given().header("Authorization", RegistryTest.ADMIN).contentType("text/csv").body(csv)
                    .post("/v1/subscribers/import").then().statusCode(200)
                    .body("rows", equalTo(3))
                    .body("created", equalTo(attempt == 1 ? 2 : 0))
                    .body("existing", equalTo(attempt == 1 ? 0 : 2))
                    .body("refused", equalTo(1))
                    .body("refusals[0].line", equalTo(4))
                    .body("refusals[0].problems.where", hasItem("channels[0].address"))
                    .body("refusals[0].problems.where", hasItem("places[0]"))
                    .body("refusals[0].problems.where", hasItem("interests[0]"));
        }
        byExternalId("imp-1-" + run).body("[0].channels[0].address", equalTo("+393331234567"))
                .body("[0].channels[0].verified", equalTo(true))
                .body("[0].channels[0].consentSource", equalTo("registro comunale, 2025"))
                .body("[0].quietHours.from", equalTo("22:00"));
        byExternalId("imp-2-" + run).body("[0].channels[0].verified", equalTo(false))
                .body("[0].places[0].lon", equalTo(8.61f));
        given().header("Authorization", RegistryTest.APP).contentType("text/csv").body(csv)
                .post("/v1/subscribers/import").then().statusCode(403);
    }

    /**
     * As spreadsheets save them: a cell of two lines (quoted, CRLF), a row saved as Windows-1252 (refused, not
     * garbled), a row far too long (refused, not held); the rows after each are read as they should be.
     */
    @Test
    void spreadsheetRowsAreReadWholeOrRefusedWithTheReason() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        var body = new java.io.ByteArrayOutputStream();
        body.write(("externalId,name,sms,address,quietFrom,quietTo,consentSource\r\n"
                + "ml-1-" + run + ",\"Rossi, Giulia\",+393331230001,\"Via Dazio 90/H\r\nAlessandria\",22:00,07:00,"
                + "registro 2025\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        body.write(("ml-2-" + run + ",Niccolò Bianchi,+393331230002,,,,registro 2025\r\n")
                .getBytes(java.nio.charset.Charset.forName("windows-1252")));
        body.write(("ml-3-" + run + ",\"" + "x".repeat(70_000) + "\",+393331230003,,,,registro 2025\r\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        body.write(("ml-4-" + run + ",Marco Verdi,+393331230004,Via Roma 1,,,registro 2025\r\n")
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        given().header("Authorization", RegistryTest.ADMIN).contentType("text/csv").body(body.toByteArray())
                .post("/v1/subscribers/import").then().statusCode(200)
                .body("rows", equalTo(4))
                .body("created", equalTo(2))
                .body("refused", equalTo(2))
                .body("refusals.line", org.hamcrest.Matchers.contains(4, 5))
                .body("refusals[0].problems.type", hasItem("urn:allerta:problem:invalid-encoding"))
                .body("refusals[1].problems.type", hasItem("urn:allerta:problem:line-too-long"));
        byExternalId("ml-1-" + run).body("[0].name", equalTo("Rossi, Giulia"))
                .body("[0].channels[0].verified", equalTo(true))
                .body("[0].quietHours.to", equalTo("07:00"));
        byExternalId("ml-4-" + run).body("[0].name", equalTo("Marco Verdi"));
    }

    /**
     * A quote opened and never closed used to take the next rows into its cell: a person registered under a name
     * holding other people's numbers, the next ones missing. Now that row is refused and each row it took is read
     * on its own; and a header column the import does not know refuses the file, since a misspelt externalId would
     * import everyone without one (and twice on a second sending).
     */
    /** Imports a file of three people whose first row (line 2) leaves a quote open: it alone is refused. */
    private static void secondRowLeftAQuoteOpen(String csv) {
        given().header("Authorization", RegistryTest.ADMIN).contentType("text/csv").body(csv)
                .post("/v1/subscribers/import").then().statusCode(200)
                .body("created", equalTo(2))
                .body("refused", equalTo(1))
                .body("refusals[0].line", equalTo(2))
                .body("refusals[0].problems.type", hasItem("urn:allerta:problem:unbalanced-quote"));
    }

    @Test
    void aQuoteLeftOpenTakesNoOtherRowAndAnUnknownColumnRefusesTheFile() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String csv = "externalId,name,sms,consentSource,lon,lat\n"
                + "uq-1-" + run + ",\"Mario Rossi,+393331240001,registro,8.61,44.91\n"
                + "uq-2-" + run + ",Luigi Bianchi,+393331240002,registro,8.61,44.91\n"
                + "uq-3-" + run + ",\"Anna Verdi\",+393331240003,registro,8.61,44.91\n";
        secondRowLeftAQuoteOpen(csv);
        byExternalId("uq-2-" + run).body("[0].name", equalTo("Luigi Bianchi"))
                .body("[0].channels[0].address", equalTo("+393331240002"));
        byExternalId("uq-3-" + run).body("[0].name", equalTo("Anna Verdi"))
                .body("[0].channels[0].address", equalTo("+393331240003"));
        byExternalId("uq-1-" + run).body("size()", equalTo(0));

        // the same in an address, which may hold a few lines but not rows
        String address = "externalId,name,sms,consentSource,address\n"
                + "ua-1-" + run + ",Mario Rossi,+393331240011,registro,\"Via Dazio 90/H\n"
                + "ua-2-" + run + ",Luigi Bianchi,+393331240012,registro,Via Dazio 1\n"
                + "ua-3-" + run + ",Anna Verdi,+393331240013,registro,Via Dazio 2\n";
        secondRowLeftAQuoteOpen(address);
        byExternalId("ua-3-" + run).body("[0].name", equalTo("Anna Verdi"));

        given().header("Authorization", RegistryTest.ADMIN).contentType("text/csv")
                .body("external_id,name,sms\nx-" + run + ",Prova,+393331240009\n")
                .post("/v1/subscribers/import").then().statusCode(422)
                .body("problems.type", hasItem("urn:allerta:problem:unknown-column"));
    }

    @Inject
    AgroalDataSource db;

    @org.junit.jupiter.api.AfterEach
    void cardsMatchTheirRows() throws Exception {
        org.allerta.dispatcher.registry.CardsCheck.cardsMatchTheirRows(db);
    }

    /**
     * A file larger than one transaction's group: every valid row registered once, with its channel, place, code and
     * announcement to the matcher; a row repeating an earlier externalId left alone; a row the database refuses (a
     * constraint added for the test) refused alone, its group's other rows registered all the same.
     */
    @Test
    void anErrorOfTheDatabaseNamesItsConstraintButNeverQuotesTheRow() throws Exception {
        // what an exception carries may reach a log: the failing row (a name, a phone number) must not be in it
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.execute("CREATE TEMP TABLE quoted (phone text CONSTRAINT quoted_phone_check"
                    + " CHECK (phone <> '+393330000001'))");
            assertThatThrownBy(
                    () -> s.execute("INSERT INTO quoted VALUES ('+393330000001')"))
                    .isInstanceOf(java.sql.SQLException.class)
                    .satisfies(e -> assertThat(e.getMessage()).contains("quoted_phone_check")
                            .doesNotContain("+393330000001"));
        }
    }

    @Test
    void aLargeFileIsRegisteredInGroupsAndARowTheDatabaseRefusesIsRefusedAlone() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        int rows = 1_200;
        var csv = new StringBuilder("externalId;name;language;sms;email;lon;lat;consentSource\n");
        for (int i = 1; i <= rows; i++) {
            String externalId = i == 700 ? "big-" + run + "-10" : "big-" + run + "-" + i;
            String name = i == 900 ? "Refused " + run : "Persona " + i;
            boolean consented = i % 2 == 0;
            csv.append(externalId).append(';').append(name).append(';').append(i % 3 == 0 ? "en" : "it").append(';')
                    .append(consented ? String.format("+39333%07d", i) : "").append(';')
                    .append(consented ? "" : "p" + i + "@example.org").append(';')
                    .append(8.6 + i / 100_000.0).append(';').append(44.9).append(';')
                    .append(consented ? "registro comunale" : "").append('\n');
        }
        String constraint = "import_test_" + run;
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            s.execute("ALTER TABLE subscriber ADD CONSTRAINT " + constraint + " CHECK (name <> 'Refused " + run
                    + "') NOT VALID");
        }
        try {
            for (int attempt = 1; attempt <= 2; attempt++) {
                JsonPath report = given().header("Authorization", RegistryTest.ADMIN).contentType("text/csv")
                        .body(csv.toString()).post("/v1/subscribers/import").then().statusCode(200)
                        .extract().jsonPath();
                assertThat(report.getLong("rows")).isEqualTo(rows);
                assertThat(report.getLong("created")).isEqualTo(attempt == 1 ? rows - 2 : 0);
                assertThat(report.getLong("existing")).isEqualTo(attempt == 1 ? 1 : rows - 1);
                assertThat(report.getLong("refused")).isEqualTo(1);
                assertThat(report.getLong("refusals[0].line")).isEqualTo(901);
                assertThat(report.getString("refusals[0].problems[0].type")).endsWith("refused-by-database");
                // the reason names the constraint, never the row the server would quote
                assertThat(report.getString("refusals[0].problems[0].why")).isEqualTo("SQLSTATE 23514,"
                        + " constraint " + constraint + ", table subscriber").doesNotContain("Refused");
            }
        } finally {
            try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
                s.execute("ALTER TABLE subscriber DROP CONSTRAINT " + constraint);
            }
        }

        var ids = new HashMap<String, String>();
        int channels;
        int places;
        int codes;
        try (Connection c = db.getConnection(); Statement s = c.createStatement()) {
            try (ResultSet r = s.executeQuery("SELECT subscriber_id, external_id FROM subscriber"
                    + " WHERE external_id LIKE 'big-" + run + "-%'")) {
                while (r.next()) {
                    ids.put(r.getString(1), r.getString(2));
                }
            }
            channels = count(s, "SELECT count(*) FROM channel WHERE subscriber_id IN (SELECT subscriber_id FROM"
                    + " subscriber WHERE external_id LIKE 'big-" + run + "-%')");
            places = count(s, "SELECT count(*) FROM place WHERE subscriber_id IN (SELECT subscriber_id FROM"
                    + " subscriber WHERE external_id LIKE 'big-" + run + "-%') AND lat = 44.9");
            codes = count(s, "SELECT count(*) FROM job WHERE purpose = 'VERIFICATION' AND subscriber_id IN"
                    + " (SELECT subscriber_id FROM subscriber WHERE external_id LIKE 'big-" + run + "-%')");
        }
        assertThat(ids).hasSize(rows - 2);
        assertThat(ids.values()).doesNotHaveDuplicates().doesNotContain("big-" + run + "-700", "big-" + run + "-900");
        assertThat(channels).isEqualTo(rows - 2);
        assertThat(places).isEqualTo(rows - 2);
        // a code for each channel registered without consent: the odd rows (rows 700 and 900 are even)
        assertThat(codes).isEqualTo(rows / 2);

        try (var reader = new TopicReader(Topics.SUBSCRIBERS_PLACES)) {
            Map<String, SubscriberPlaces> published = new HashMap<>();
            var deadline = java.time.Instant.now().plusSeconds(60);
            while (!published.keySet().containsAll(ids.keySet()) && java.time.Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<String, byte[]> r : reader.drain(Duration.ofMillis(500))) {
                    if (ids.containsKey(r.key()) && r.value() != null) {
                        published.put(r.key(), Json.fromBytes(r.value(), SubscriberPlaces.class));
                    }
                }
            }
            assertThat(published.keySet()).as("registrations published on " + Topics.SUBSCRIBERS_PLACES)
                    .containsExactlyInAnyOrderElementsOf(ids.keySet());
            Set<String> placeIds = new HashSet<>();
            for (var entry : published.entrySet()) {
                int i = Integer.parseInt(ids.get(entry.getKey()).substring(("big-" + run + "-").length()));
                assertThat(entry.getValue().places()).hasSize(1);
                assertThat(entry.getValue().places().get(0).point()).isEqualTo(new LonLat(8.6 + i / 100_000.0, 44.9));
                placeIds.add(entry.getValue().places().get(0).placeId());
            }
            assertThat(placeIds).hasSize(rows - 2);
        }
    }

    private static int count(Statement s, String sql) throws Exception {
        try (ResultSet r = s.executeQuery(sql)) {
            r.next();
            return r.getInt(1);
        }
    }

    /** The app's lookup of a person by its own id: answered 200, the list to check. */
    private static io.restassured.response.ValidatableResponse byExternalId(String externalId) {
        return given().header("Authorization", RegistryTest.APP).queryParam("externalId", externalId)
                .get("/v1/subscribers").then().statusCode(200);
    }
}
