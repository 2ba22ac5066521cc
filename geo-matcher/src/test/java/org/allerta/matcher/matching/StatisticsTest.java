package org.allerta.matcher.matching;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.sql.Connection;
import org.allerta.service.Jdbc;
import org.allerta.testsupport.LocalPostgis;
import org.allerta.testsupport.RealInfrastructure;
import org.junit.jupiter.api.Test;

/**
 * {@link Jdbc#analyseIfGrown}, as the matcher uses it on an event's affected set and the importer on the gazetteer:
 * the planner learns of a table's growth in the same transaction, and only when the growth is a tenth or more.
 */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class StatisticsTest {

    @Test
    void statisticsFollowAGrowthOfATenthOrMore() throws Exception {
        try (Connection c = LocalPostgis.shared().connect()) {
            c.setAutoCommit(false);
            try (var s = c.createStatement()) {
                s.execute("CREATE TEMP TABLE grows (n int) ON COMMIT DROP");
                s.execute("INSERT INTO grows SELECT generate_series(1, 1000)");
            }
            Jdbc.analyseIfGrown(c, "grows", 1000);
            assertThat(plannerRows(c)).as("an empty table that grew").isEqualTo(1000);

            insert(c, 50);
            Jdbc.analyseIfGrown(c, "grows", 50);
            assertThat(plannerRows(c)).as("a twentieth more: left to autovacuum").isEqualTo(1000);

            insert(c, 200);
            Jdbc.analyseIfGrown(c, "grows", 200);
            assertThat(plannerRows(c)).as("a fifth more").isEqualTo(1250);
            c.rollback();
        }
    }

    private static void insert(Connection c, int rows) throws Exception {
        try (var s = c.createStatement()) {
            s.execute("INSERT INTO grows SELECT generate_series(1, " + rows + ")");
        }
    }

    private static long plannerRows(Connection c) throws Exception {
        try (var s = c.createStatement();
             var rows = s.executeQuery("SELECT reltuples::bigint FROM pg_class WHERE oid = 'grows'::regclass")) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
