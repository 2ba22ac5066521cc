package org.allerta.matcher.matching;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import org.allerta.contracts.Topics;
import org.allerta.service.BrokerProbe;
import org.allerta.service.ConsumerLoop;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Consumes {@code alerts.events}; each revision is matched before its offset is committed. */
@ApplicationScoped
public class EventsConsumer {

    @ConfigProperty(name = "allerta.matcher.group-id", defaultValue = "geo-matcher")
    String groupId;

    private final BrokerProbe broker;
    private final EventMatcher matcher;
    private ConsumerLoop loop;

    EventsConsumer(BrokerProbe broker, EventMatcher matcher) {
        this.broker = broker;
        this.matcher = matcher;
    }

    void onStart(@Observes StartupEvent event) {
        loop = ConsumerLoop.start("events", broker, groupId + "-events", List.of(Topics.ALERTS_EVENTS),
                matcher::handle);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (loop != null) {
            loop.close();
        }
    }
}
