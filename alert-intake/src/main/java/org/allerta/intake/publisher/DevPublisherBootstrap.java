package org.allerta.intake.publisher;

import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.util.Optional;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * Local mode only: creates the development publisher that {@code ./allerta up} generated credentials for (every kind,
 * whole world, no area limit), or gives it new ones when they changed; a revocation or a narrower remit an
 * administrator gave it since stays. Safe to repeat: nothing is written when the stored
 * publisher already has this key hash and signing secret. Nothing happens unless
 * {@code allerta.bootstrap-publisher.key-sha256} is set; only the key's hash is known here.
 */
@ApplicationScoped
public class DevPublisherBootstrap {

    private static final Logger LOG = Logger.getLogger(DevPublisherBootstrap.class);

    @ConfigProperty(name = "allerta.bootstrap-publisher.id", defaultValue = "dev-publisher")
    String publisherId;

    @ConfigProperty(name = "allerta.bootstrap-publisher.key-sha256")
    Optional<String> keySha256;

    @ConfigProperty(name = "allerta.bootstrap-publisher.signing-secret")
    Optional<String> signingSecret;

    private final PublisherService publishers;

    DevPublisherBootstrap(PublisherService publishers) {
        this.publishers = publishers;
    }

    void onStart(@Observes StartupEvent event) {
        Optional<String> hash = keySha256.map(String::trim).filter(h -> h.matches("[0-9a-f]{64}"));
        if (hash.isEmpty()) {
            return;
        }
        if (signingSecret.filter(s -> !s.isBlank()).isEmpty()) {
            throw new IllegalStateException("allerta.bootstrap-publisher.signing-secret is required with its key hash");
        }
        if (publishers.ensure(publisherId, "Local development publisher", hash.get(), signingSecret.get().trim())) {
            LOG.infof("development publisher %s is in place", publisherId);
        } else {
            LOG.warnf("development publisher %s was revoked by an administrator and stays revoked", publisherId);
        }
    }
}
