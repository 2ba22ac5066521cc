package org.allerta.matcher;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.ArrayList;
import java.util.List;
import org.allerta.contracts.Topics;
import org.allerta.matcher.matching.EventMatcher;
import org.allerta.matcher.place.PlaceService;
import org.allerta.matcher.reach.PublisherDirectory;
import org.allerta.service.BrokerProbe;
import org.allerta.service.ConsumerLoop;
import org.allerta.service.RecordProducer;
import org.eclipse.microprofile.config.inject.ConfigProperty;

/**
 * What the geo-matcher reads: {@code alerts.events} (matched), {@code subscribers.places} (geocoded and stored,
 * compacted, key = subscriber id) and {@code publishers} (for reach previews), each in a consumer group of its own.
 */
@ApplicationScoped
public class Consumers {

    @ConfigProperty(name = "allerta.matcher.group-id", defaultValue = "geo-matcher")
    String groupId;

    private final BrokerProbe broker;
    private final RecordProducer producer;
    private final EventMatcher matcher;
    private final PlaceService places;
    private final PublisherDirectory publishers;
    private final List<ConsumerLoop> loops = new ArrayList<>();

    Consumers(BrokerProbe broker, EventMatcher matcher, PlaceService places, PublisherDirectory publishers,
              RecordProducer producer) {
        this.broker = broker;
        this.producer = producer;
        this.matcher = matcher;
        this.places = places;
        this.publishers = publishers;
    }

    void onStart(@Observes StartupEvent event) {
        loops.add(ConsumerLoop.start("events", broker, groupId + "-events", List.of(Topics.ALERTS_EVENTS),
                producer, matcher::handle));
        loops.add(ConsumerLoop.startBatches("places", broker, groupId + "-places",
                List.of(Topics.SUBSCRIBERS_PLACES), producer, 500, places::handle));
        loops.add(ConsumerLoop.start("publishers", broker, groupId + "-publishers", List.of(Topics.PUBLISHERS),
                producer, publishers::handle));
    }

    void onStop(@Observes ShutdownEvent event) {
        loops.forEach(ConsumerLoop::close);
    }
}
