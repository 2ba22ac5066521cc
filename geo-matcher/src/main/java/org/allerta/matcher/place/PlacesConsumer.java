package org.allerta.matcher.place;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.List;
import org.allerta.contracts.Topics;
import org.allerta.service.BrokerProbe;
import org.allerta.service.ConsumerLoop;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/** Consumes {@code subscribers.places} (compacted, key = subscriber id) into PostGIS. */
@ApplicationScoped
public class PlacesConsumer {

    @ConfigProperty(name = "allerta.matcher.group-id", defaultValue = "geo-matcher")
    String groupId;

    private final BrokerProbe broker;
    private final PlaceService places;
    private ConsumerLoop loop;

    PlacesConsumer(BrokerProbe broker, PlaceService places) {
        this.broker = broker;
        this.places = places;
    }

    void onStart(@Observes StartupEvent event) {
        loop = ConsumerLoop.start("places", broker, groupId + "-places", List.of(Topics.SUBSCRIBERS_PLACES),
                places::handle);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (loop != null) {
            loop.close();
        }
    }
}
