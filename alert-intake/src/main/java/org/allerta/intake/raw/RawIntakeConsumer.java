package org.allerta.intake.raw;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import org.allerta.contracts.Topics;
import org.allerta.service.BrokerProbe;
import org.allerta.service.ConsumerLoop;
import org.allerta.service.RecordProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * Consumes {@code intake.raw}: each record is accepted or dead-lettered before its offset is committed, so a poison
 * record never stalls the partition and nothing is skipped; while the database is away the consumer waits on the
 * record it could not handle.
 */
@ApplicationScoped
public class RawIntakeConsumer {

    @ConfigProperty(name = "allerta.intake.raw.enabled", defaultValue = "true")
    boolean enabled;

    @ConfigProperty(name = "allerta.intake.raw.group-id", defaultValue = "alert-intake")
    String groupId;

    private final BrokerProbe broker;
    private final RecordProducer producer;
    private final RawIntake intake;
    private ConsumerLoop loop;

    RawIntakeConsumer(BrokerProbe broker, RawIntake intake, RecordProducer producer) {
        this.broker = broker;
        this.producer = producer;
        this.intake = intake;
    }

    void onStart(@Observes StartupEvent event) {
        if (enabled) {
            loop = ConsumerLoop.start("intake-raw", broker, groupId, List.of(Topics.INTAKE_RAW), producer,
                    intake::handle);
        }
    }

    void onStop(@Observes ShutdownEvent event) {
        if (loop != null) {
            loop.close();
        }
    }
}
