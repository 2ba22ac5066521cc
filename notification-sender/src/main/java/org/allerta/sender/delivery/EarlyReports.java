package org.allerta.sender.delivery;

import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Clock;
import java.time.Duration;
import org.allerta.contracts.Channel;
import org.allerta.contracts.Receipt;
import org.allerta.contracts.ReceiptStatus;
import org.allerta.contracts.Topics;
import org.allerta.service.Jdbc;
import org.allerta.service.Ticker;
import org.allerta.service.outbox.Outbox;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * The providers' reports that came before their job was recorded ({@code early_report}, kept by
 * {@link Deliveries#report}) become receipts once the job is: every {@code allerta.sender.early-report-check}, the
 * reports whose job (by its id, or by the provider's id on the same channel, given to a job recorded since shortly
 * before the report came) is now handled are taken, in one statement, so that a report is applied once whichever
 * instance takes it and whatever commits around it. A report for a job never attempted cannot be true and is dropped;
 * one whose job was not recorded within a day is forgotten, with a warning.
 */
@ApplicationScoped
public class EarlyReports {

    private static final Logger LOG = Logger.getLogger(EarlyReports.class);

    private final Jdbc jdbc;
    private final Outbox outbox;
    private final Clock clock;
    private final Duration every;
    private Ticker ticker;

    EarlyReports(Jdbc jdbc, Outbox outbox, Clock clock,
                 @ConfigProperty(name = "allerta.sender.early-report-check", defaultValue = "2s") Duration every) {
        this.jdbc = jdbc;
        this.outbox = outbox;
        this.clock = clock;
        this.every = every;
    }

    void onStart(@Observes StartupEvent event) {
        ticker = Ticker.start("allerta-early-reports").every(every, () -> {
            try {
                apply();
            } catch (RuntimeException e) {
                LOG.debugf("early provider reports wait: %s", e.getMessage());
            }
        });
    }

    void onStop(@Observes ShutdownEvent event) {
        if (ticker != null) {
            ticker.close();
        }
    }

    /** Applies the reports whose job is recorded now, and forgets those older than a day; returns how many applied. */
    int apply() {
        return jdbc.inTransaction(c -> {
            int applied = 0;
            try (PreparedStatement s = c.prepareStatement("""
                    DELETE FROM early_report e USING handled_job h
                    WHERE h.channel = e.channel
                      AND (h.job_id = e.job_id
                           OR (e.job_id IS NULL AND h.provider_message_id = e.provider_message_id
                               AND h.handled_at > e.received_at - interval '1 minute'))
                    RETURNING h.job_id, h.channel, h.event_id, h.attempts, h.reason, e.status, e.reason,
                              coalesce(e.provider_message_id, h.provider_message_id)""");
                 ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    String jobId = rows.getString(1);
                    if (rows.getInt(4) == 0 && !"UNCERTAIN".equals(rows.getString(5))) {
                        LOG.warnf("job %s: a provider's report of it dropped, the job was never sent", jobId);
                        continue;
                    }
                    var receipt = new Receipt(jobId, Channel.valueOf(rows.getString(2)), rows.getString(3),
                            ReceiptStatus.valueOf(rows.getString(6)), rows.getString(7), rows.getString(8), 0,
                            clock.instant());
                    outbox.add(c, Topics.NOTIFICATIONS_RECEIPTS, jobId, receipt,
                            jobId + "/" + receipt.status() + "/early-" + receipt.at(), jobId);
                    applied++;
                }
            }
            try (PreparedStatement s = c.prepareStatement(
                    "DELETE FROM early_report WHERE received_at < now() - interval '1 day'")) {
                int forgotten = s.executeUpdate();
                if (forgotten > 0) {
                    LOG.warnf("%d provider reports forgotten: no job of theirs was recorded within a day", forgotten);
                }
            }
            return applied;
        });
    }
}
