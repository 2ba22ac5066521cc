package org.allerta.testsupport;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Map;

/**
 * A real PostgreSQL 15 + PostGIS 3 cluster for the tests of one JVM, started through
 * {@code deploy/local/postgis.sh} (Debian's binaries, installed with apt when missing and root) on a free port, and
 * stopped and removed when the JVM exits. It can be stopped and started again to test database outages.
 */
public final class LocalPostgis {

    private static LocalPostgis shared;

    private final Map<String, String> env;
    private final int port;
    private final String password;

    private LocalPostgis(Path stateDir) {
        this.port = Scripts.freePort();
        this.env = Map.of("ALLERTA_STATE_DIR", stateDir.toString(), "ALLERTA_PG_PORT", Integer.toString(port));
        Scripts.run("postgis.sh", env, "clean");
        start();
        this.password = Scripts.run("postgis.sh", env, "password").trim();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Scripts.run("postgis.sh", env, "clean"),
                "allerta-stop-postgis"));
    }

    /** The cluster of this JVM, started on first use. */
    public static synchronized LocalPostgis shared() {
        if (shared == null) {
            shared = new LocalPostgis(Scripts.stateDir("postgis-" + ProcessHandle.current().pid()));
        }
        return shared;
    }

    public String jdbcUrl() {
        return "jdbc:postgresql://127.0.0.1:" + port + "/allerta";
    }

    public String username() {
        return "allerta";
    }

    public String password() {
        return password;
    }

    /** A new connection as the application user. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), username(), password());
    }

    /** Starts the cluster (again); harmless when it runs. */
    public void start() {
        Scripts.run("postgis.sh", env, "start");
    }

    /** Stops the cluster (fast shutdown), keeping its data. */
    public void stop() {
        Scripts.run("postgis.sh", env, "stop");
    }
}
