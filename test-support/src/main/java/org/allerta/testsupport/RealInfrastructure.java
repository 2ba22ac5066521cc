package org.allerta.testsupport;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.util.Map;

/**
 * Quarkus test resource: points the service under test at this JVM's real broker ({@link LocalKafka}) and real
 * PostGIS ({@link LocalPostgis}). Dev Services stay off. Use with {@code @WithTestResource(RealInfrastructure.class)}.
 */
public class RealInfrastructure implements QuarkusTestResourceLifecycleManager {

    @Override
    public Map<String, String> start() {
        LocalKafka kafka = LocalKafka.shared();
        LocalPostgis postgis = LocalPostgis.shared();
        return Map.of(
                "kafka.bootstrap.servers", kafka.bootstrapServers(),
                "quarkus.datasource.jdbc.url", postgis.jdbcUrl(),
                "quarkus.datasource.username", postgis.username(),
                "quarkus.datasource.password", postgis.password(),
                "quarkus.devservices.enabled", "false");
    }

    @Override
    public void stop() {
        // The broker and the cluster serve every test of this JVM; they stop when it exits.
    }
}
