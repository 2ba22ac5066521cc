package org.allerta.service;

import jakarta.enterprise.context.ApplicationScoped;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.Readiness;

/**
 * The broker's part of readiness. Consuming services are ready only while the brokers are reachable
 * ({@code allerta.readiness.requires-broker=true}, the default); alert-intake, whose outbox holds events while Kafka
 * is away, reports the broker's state as a detail and stays ready. The database's part is Agroal's own check.
 */
@Readiness
@ApplicationScoped
public class BrokerReadiness implements HealthCheck {

    private final BrokerProbe probe;
    private final boolean requiresBroker;

    BrokerReadiness(BrokerProbe probe,
                    @ConfigProperty(name = "allerta.readiness.requires-broker", defaultValue = "true")
                    boolean requiresBroker) {
        this.probe = probe;
        this.requiresBroker = requiresBroker;
    }

    @Override
    public HealthCheckResponse call() {
        BrokerProbe.State state = probe.state();
        boolean up = !requiresBroker || (state.up() && state.topicsReady());
        return HealthCheckResponse.named("kafka-broker")
                .status(up)
                .withData("reachable", state.up())
                .withData("topics", state.topicsReady() ? "ready" : "not created yet")
                .withData("detail", state.detail())
                .withData("requiredForReadiness", requiresBroker)
                .withData("checkedAt", state.checkedAt().toString())
                .build();
    }
}
