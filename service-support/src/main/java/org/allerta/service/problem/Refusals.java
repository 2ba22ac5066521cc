package org.allerta.service.problem;

import io.micrometer.core.instrument.MeterRegistry;
import jakarta.ws.rs.container.ContainerResponseContext;
import org.jboss.resteasy.reactive.server.ServerResponseFilter;

/**
 * Counts every problem a REST call answers, by type and status, as {@code allerta_refusals_total{type, status}} on
 * {@code /q/metrics}: an operator sees which refusals a publisher's system or an app keeps meeting (a misspelt
 * property, a polygon outside the territory, the database away) without reading logs.
 */
public class Refusals {

    /** The meter's name (Prometheus: {@code allerta_refusals_total}). */
    public static final String METER = "allerta.refusals";

    private final MeterRegistry registry;

    Refusals(MeterRegistry registry) {
        this.registry = registry;
    }

    @ServerResponseFilter
    public void count(ContainerResponseContext response) {
        if (response.getEntity() instanceof Problem problem) {
            registry.counter(METER, "type", Problem.slug(problem.type()), "status",
                    Integer.toString(response.getStatus())).increment();
        }
    }
}
