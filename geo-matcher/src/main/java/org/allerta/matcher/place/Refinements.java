package org.allerta.matcher.place;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import org.allerta.service.Ticker;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Takes up the geocoding again of citizens' places that a gazetteer import left pending: the import request runs it
 * at once, and should that be cut short (the broker or the database away, the service stopped), the mark the import
 * stored in its own transaction brings it back here, every {@code allerta.matcher.refinement-check}, once the mark is
 * older than the check and no refinement is under way in this service.
 */
@ApplicationScoped
public class Refinements {

    private static final Logger LOG = Logger.getLogger(Refinements.class);

    private final PlaceService places;
    private final Duration every;
    private Ticker ticker;

    Refinements(PlaceService places,
                @ConfigProperty(name = "allerta.matcher.refinement-check", defaultValue = "60s") Duration every) {
        this.places = places;
        this.every = every;
    }

    void onStart(@Observes StartupEvent event) {
        ticker = Ticker.start("allerta-refinements").every(every, this::check);
    }

    void onStop(@Observes ShutdownEvent event) {
        if (ticker != null) {
            ticker.close();
        }
    }

    /** When a refinement that failed was last reported as a warning (nanoTime), to say it every 10 minutes at most. */
    private long warned = System.nanoTime() - WARN_EVERY;
    private static final long WARN_EVERY = 600_000_000_000L;

    private void check() {
        try {
            long placed = places.refinePending(every);
            if (placed >= 0) {
                LOG.infof("a gazetteer import's pending refinement is done: %d places placed anew", placed);
            }
        } catch (RuntimeException e) {
            if (System.nanoTime() - warned >= WARN_EVERY) {
                warned = System.nanoTime();
                LOG.warnf("a gazetteer import's geocoding of citizens' places again still fails, tried again every"
                        + " %s: %s", every, e.getMessage());
            } else {
                LOG.debugf("a gazetteer import's refinement still waits: %s", e.getMessage());
            }
        }
    }
}
