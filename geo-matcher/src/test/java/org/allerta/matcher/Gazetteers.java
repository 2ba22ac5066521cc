package org.allerta.matcher;

import static io.restassured.RestAssured.given;

import io.restassured.response.Response;
import java.nio.file.Files;
import java.nio.file.Path;

/** The Alessandria register, imported through the public API, for tests. */
public final class Gazetteers {

    public static final String ADMIN = "Bearer test-admin-key";
    public static final Path DATA = Path.of(System.getProperty("allerta.root", ".."), "data/italy");

    private static boolean imported;

    private Gazetteers() {
    }

    /** Imports the register once per test JVM (importing it again would change nothing anyway). */
    public static synchronized void ensureAlessandria() throws Exception {
        if (!imported) {
            importAlessandria().then().statusCode(200);
            imported = true;
        }
    }

    public static Response importAlessandria() throws Exception {
        return given().header("Authorization", ADMIN).contentType("text/csv")
                .queryParam("format", "civici").queryParam("srid", "3003").queryParam("source", "alessandria")
                .queryParam("city", "Alessandria")
                .body(Files.readAllBytes(DATA.resolve("alessandria-numeri-civici-EPSG3003.csv")))
                .post("/v1/gazetteer");
    }
}
