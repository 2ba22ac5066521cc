package org.allerta.sender.channel;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.allerta.contracts.Channel;
import org.allerta.contracts.NotificationJob;
import org.allerta.contracts.ReceiptStatus;
import org.allerta.contracts.sms.Gsm7;
import org.allerta.contracts.sms.Sms;
import org.allerta.sender.delivery.Deliveries;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;
import org.jsmpp.SMPPConstant;
import org.jsmpp.bean.AlertNotification;
import org.jsmpp.bean.Alphabet;
import org.jsmpp.bean.BindType;
import org.jsmpp.bean.DataSm;
import org.jsmpp.bean.DeliverSm;
import org.jsmpp.bean.DeliveryReceipt;
import org.jsmpp.bean.ESMClass;
import org.jsmpp.bean.GSMSpecificFeature;
import org.jsmpp.bean.GeneralDataCoding;
import org.jsmpp.bean.MessageMode;
import org.jsmpp.bean.MessageType;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.RegisteredDelivery;
import org.jsmpp.bean.SMSCDeliveryReceipt;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.NegativeResponseException;
import org.jsmpp.extra.ProcessRequestException;
import org.jsmpp.extra.ResponseTimeoutException;
import org.jsmpp.extra.SessionState;
import org.jsmpp.session.BindParameter;
import org.jsmpp.session.DataSmResult;
import org.jsmpp.session.MessageReceiverListener;
import org.jsmpp.session.SMPPSession;
import org.jsmpp.session.Session;
import org.jsmpp.util.DeliveryReceiptState;

/**
 * SMS over SMPP 3.4 (jSMPP): one transceiver (or transmitter) bind, re-established when lost; submit_sm in GSM-7
 * (data coding 0, unpacked septets) when every character has a GSM-7 form, otherwise UCS-2 (data coding 8); a long
 * text is sent as a concatenated message (UDH 00: reference, total, sequence) whose last part asks for a delivery
 * receipt. Receipts (deliver_sm) become DELIVERED or FAILED receipts. Throttling and queue-full answers are retried;
 * an invalid destination fails.
 */
@ApplicationScoped
public class SmppAdapter implements Adapter {

    private static final Logger LOG = Logger.getLogger(SmppAdapter.class);

    private final boolean enabled;
    private final String host;
    private final int port;
    private final BindParameter bind;
    private final String source;
    /** How long the SMSC has to answer a submit_sm ({@code allerta.sender.smpp.response-timeout}); then UNCERTAIN. */
    private final Duration responseTimeout;
    private final TypeOfNumber sourceTon;
    private final Instance<Deliveries> deliveries;

    private final ScheduledExecutorService receipts = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "allerta-smpp-receipts");
        thread.setDaemon(true);
        return thread;
    });
    private volatile SMPPSession session;

    SmppAdapter(@ConfigProperty(name = "allerta.sender.smpp.enabled") boolean enabled,
                @ConfigProperty(name = "allerta.sender.smpp.host") String host,
                @ConfigProperty(name = "allerta.sender.smpp.port") int port,
                @ConfigProperty(name = "allerta.sender.smpp.system-id") String systemId,
                @ConfigProperty(name = "allerta.sender.smpp.password") java.util.Optional<String> password,
                @ConfigProperty(name = "allerta.sender.smpp.system-type") java.util.Optional<String> systemType,
                @ConfigProperty(name = "allerta.sender.smpp.bind") String bindType,
                @ConfigProperty(name = "allerta.sender.smpp.source") String source,
                @ConfigProperty(name = "allerta.sender.smpp.response-timeout", defaultValue = "10s")
                Duration responseTimeout,
                Instance<Deliveries> deliveries) {
        this.responseTimeout = responseTimeout;
        this.enabled = enabled;
        this.host = host;
        this.port = port;
        this.source = source;
        this.sourceTon = source.matches("\\+?[0-9]{3,15}") ? TypeOfNumber.INTERNATIONAL : TypeOfNumber.ALPHANUMERIC;
        this.bind = new BindParameter("transmitter".equalsIgnoreCase(bindType) ? BindType.BIND_TX : BindType.BIND_TRX,
                systemId, password.orElse(""), systemType.orElse(""), TypeOfNumber.UNKNOWN,
                NumberingPlanIndicator.UNKNOWN, null);
        this.deliveries = deliveries;
        if (enabled && "transmitter".equalsIgnoreCase(bindType)) {
            LOG.warn("SMS: bound as a transmitter, the SMSC sends this service no delivery receipts: no SMS will be"
                    + " reported DELIVERED or FAILED after it was sent (ALLERTA_SMPP_BIND=transceiver receives them)");
        }
        if (enabled && sourceTon == TypeOfNumber.ALPHANUMERIC && source.length() > 11) {
            LOG.warnf("SMS: the sender name '%s' is longer than the 11 characters an alphanumeric sender may have;"
                    + " most SMSCs refuse every message with it (ESME_RINVSRCADR)", source);
        }
    }

    /**
     * Unbinds once the deliveries have stopped (a later priority than theirs): a {@code submit_sm} under way when the
     * stop began gets its answer, and is recorded sent, instead of ending uncertain on a closed session.
     */
    void onStop(@Observes @jakarta.annotation.Priority(jakarta.interceptor.Interceptor.Priority.LIBRARY_AFTER)
                ShutdownEvent event) {
        SMPPSession current = session;
        if (current != null) {
            current.unbindAndClose();
        }
        receipts.shutdownNow();
    }

    @Override
    public Set<Channel> channels() {
        return enabled ? Set.of(Channel.SMS) : Set.of();
    }

    /**
     * How far a long SMS got before the SMSC refused one of its parts: accepted parts, the last part's id, the
     * concatenation reference its parts carry.
     */
    private record Progress(int accepted, String lastId, int reference) {
    }

    /**
     * The long SMS whose later parts were refused for now, by job id: a retry submits only the parts not accepted
     * yet, under the same reference, so that the handset assembles one message and the first parts are neither
     * shown twice nor paid twice. Kept in memory (a restart submits the whole message again) and bounded.
     */
    private final Map<String, Progress> unfinished = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, false) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Progress> eldest) {
                    return size() > 10_000;
                }
            });

    /**
     * The concatenation reference of a long SMS's parts. A handset assembles the parts it holds by sender, reference
     * and count: two long notices to one person with the same reference, stored together by the SMSC while the phone
     * was off (a blackout), could be shown as one message made of both ("power out" with "back at 18:00"). Each
     * recipient's long messages therefore take the next of the 256 references, from one picked by the job id for
     * the first; a message resumed after a refusal keeps its own ({@link Progress}).
     */
    static final class References {

        private final Map<String, Integer> last = new java.util.LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
                return size() > 100_000;
            }
        };

        synchronized int next(String destination, String jobId) {
            Integer before = last.get(destination);
            int reference = before == null ? Math.floorMod(jobId.hashCode(), 256) : (before + 1) & 0xff;
            last.put(destination, reference);
            return reference;
        }
    }

    private final References references = new References();

    @Override
    public Outcome send(NotificationJob job) {
        String destination = job.recipient().startsWith("+") ? job.recipient().substring(1) : job.recipient();
        String text = job.text();
        boolean gsm = Sms.encoding(text) == Sms.Encoding.GSM7;
        List<String> parts = Sms.parts(text);
        Progress before = parts.size() > 1 ? unfinished.get(job.jobId()) : null;
        int reference = before != null ? before.reference()
                : parts.size() > 1 ? references.next(destination, job.jobId()) : 0;
        int accepted = before == null ? 0 : before.accepted();
        String lastId = before == null ? null : before.lastId();
        // the SMSC gives up on a handset still off at the job's expiry: "back by 18:00" is not delivered the next day
        String validity = validityPeriod(job.expiresAt());
        SMPPSession s;
        try {
            s = session();
        } catch (IOException e) {
            // the SMSC away or refusing the bind: nothing against the message, which waits for it (no attempt used)
            reset();
            return new Outcome.Retry("SMSC unreachable: " + e.getClass().getSimpleName(), null, true);
        }
        try {
            for (int i = accepted; i < parts.size(); i++) {
                byte[] payload = gsm ? Gsm7.encode(parts.get(i)) : parts.get(i).getBytes(StandardCharsets.UTF_16BE);
                boolean multi = parts.size() > 1;
                if (multi) {
                    byte[] udh = {0x05, 0x00, 0x03, (byte) reference, (byte) parts.size(), (byte) (i + 1)};
                    byte[] both = new byte[udh.length + payload.length];
                    System.arraycopy(udh, 0, both, 0, udh.length);
                    System.arraycopy(payload, 0, both, udh.length, payload.length);
                    payload = both;
                }
                boolean last = i == parts.size() - 1;
                var esm = new ESMClass(MessageMode.DEFAULT, MessageType.DEFAULT,
                        multi ? GSMSpecificFeature.UDHI : GSMSpecificFeature.DEFAULT);
                var receipt = new RegisteredDelivery(last ? SMSCDeliveryReceipt.SUCCESS_FAILURE
                        : SMSCDeliveryReceipt.DEFAULT);
                lastId = s.submitShortMessage("", sourceTon, sourceTon == TypeOfNumber.ALPHANUMERIC
                                ? NumberingPlanIndicator.UNKNOWN : NumberingPlanIndicator.ISDN,
                        source.startsWith("+") ? source.substring(1) : source,
                        TypeOfNumber.INTERNATIONAL, NumberingPlanIndicator.ISDN, destination, esm, (byte) 0,
                        job.priority() ? (byte) 1 : (byte) 0, null, validity, receipt, (byte) 0,
                        new GeneralDataCoding(gsm ? Alphabet.ALPHA_DEFAULT : Alphabet.ALPHA_UCS2), (byte) 0,
                        payload).getMessageId();
                accepted = i + 1;
            }
            unfinished.remove(job.jobId());
            return new Outcome.Sent(lastId);
        } catch (NegativeResponseException e) {
            int status = e.getCommandStatus();
            if (status == SMPPConstant.STAT_ESME_RTHROTTLED || status == SMPPConstant.STAT_ESME_RMSGQFUL
                    || status == SMPPConstant.STAT_ESME_RSYSERR) {
                remember(job, parts.size(), accepted, lastId, reference);
                // only throttling is the SMSC asking to slow down; a full queue (often one recipient's) counts
                boolean throttled = status == SMPPConstant.STAT_ESME_RTHROTTLED;
                return new Outcome.Retry("SMPP status 0x" + Integer.toHexString(status),
                        throttled ? Duration.ofMillis(200) : null, throttled);
            }
            unfinished.remove(job.jobId());
            return new Outcome.Failed("SMPP_0x" + Integer.toHexString(status));
        } catch (ResponseTimeoutException e) {
            // the submit_sm went out and its answer did not come: the SMSC may have accepted the part
            remember(job, parts.size(), accepted, lastId, reference);
            reset();
            return new Outcome.Uncertain("SMPP: no answer to submit_sm");
        } catch (IOException e) {
            remember(job, parts.size(), accepted, lastId, reference);
            reset();
            return new Outcome.Retry("SMPP: " + e.getClass().getSimpleName(), null);
        } catch (Exception e) {
            remember(job, parts.size(), accepted, lastId, reference);
            reset();
            return new Outcome.Retry("SMPP: " + e.getClass().getSimpleName() + " " + e.getMessage(), null);
        }
    }

    /** The SMPP absolute time (UTC) of {@code expiresAt}, or null (the SMSC's default validity) when none. */
    static String validityPeriod(java.time.Instant expiresAt) {
        if (expiresAt == null) {
            return null;
        }
        var calendar = java.util.Calendar.getInstance(java.util.TimeZone.getTimeZone("UTC"));
        calendar.setTimeInMillis(expiresAt.toEpochMilli());
        return new org.jsmpp.util.AbsoluteTimeFormatter().format(calendar);
    }

    private void remember(NotificationJob job, int parts, int accepted, String lastId, int reference) {
        // a long message keeps its reference from one attempt to the next, even with no part confirmed: its first
        // part may be with the SMSC all the same (an answer that never came); a part accepted means a long message
        if (parts > 1) {
            unfinished.put(job.jobId(), new Progress(accepted, lastId, reference));
        }
    }

    private synchronized SMPPSession session() throws IOException {
        SMPPSession current = session;
        if (current != null && current.getSessionState().isBound()) {
            return current;
        }
        if (current != null) {
            current.unbindAndClose();
        }
        var fresh = new SMPPSession();
        fresh.setTransactionTimer(responseTimeout.toMillis());
        fresh.setEnquireLinkTimer(30_000);
        // deliver_sm waits for its receipt to be stored: more processors than the default three, so that the
        // submit_sm_resp behind a few waiting receipts are read at once
        fresh.setPduProcessorDegree(8);
        fresh.setMessageReceiverListener(new Receipts());
        fresh.connectAndBind(host, port, bind);
        LOG.infof("SMPP bound to %s:%d as %s", host, port, bind.getSystemId());
        session = fresh;
        return fresh;
    }

    private synchronized void reset() {
        if (session != null && session.getSessionState() != SessionState.BOUND_TRX
                && session.getSessionState() != SessionState.BOUND_TX) {
            session.unbindAndClose();
            session = null;
        }
    }

    /**
     * Delivery receipts: DELIVRD is DELIVERED; UNDELIV, EXPIRED, REJECTD and DELETED are FAILED. The standard fields
     * ({@code receipted_message_id} and {@code message_state}) are read first; the text of SMPP 3.4's appendix B,
     * which the specification leaves to each vendor, only when they are absent.
     */
    private final class Receipts implements MessageReceiverListener {

        @Override
        public void onAcceptDeliverSm(DeliverSm deliverSm) throws ProcessRequestException {
            if (!MessageType.SMSC_DEL_RECEIPT.containedIn(deliverSm.getEsmClass())) {
                return;   // a message from a handset: not handled here
            }
            Deliveries.ProviderReport fromFields = fromFields(deliverSm);
            if (fromFields != null) {
                if (fromFields.status() != null) {
                    store(fromFields);
                }
                return;
            }
            DeliveryReceipt receipt;
            try {
                receipt = deliverSm.getShortMessageAsDeliveryReceipt();
            } catch (Exception e) {
                // not a receipt any SMSC will send differently next time: acknowledged, and said so
                LOG.warnf("unreadable delivery receipt acknowledged and dropped (%d bytes): %s",
                        deliverSm.getShortMessage() == null ? 0 : deliverSm.getShortMessage().length,
                        e.getClass().getSimpleName());
                return;
            }
            DeliveryReceiptState state = receipt.getFinalStatus();
            if (state == DeliveryReceiptState.ENROUTE || state == DeliveryReceiptState.ACCEPTD) {
                return;
            }
            ReceiptStatus status = state == DeliveryReceiptState.DELIVRD ? ReceiptStatus.DELIVERED
                    : ReceiptStatus.FAILED;
            String reason = status == ReceiptStatus.FAILED ? "SMSC_" + state : null;
            store(new Deliveries.ProviderReport(receipt.getId(), status, reason));
        }

        /**
         * The report the standard fields make, a report without status for a state that is not final (en route,
         * accepted, scheduled), or null when the receipt does not carry both fields.
         */
        private Deliveries.ProviderReport fromFields(DeliverSm deliverSm) {
            var id = deliverSm.getOptionalParameter(org.jsmpp.bean.OptionalParameter.Tag.RECEIPTED_MESSAGE_ID);
            var state = deliverSm.getOptionalParameter(org.jsmpp.bean.OptionalParameter.Tag.MESSAGE_STATE);
            if (!(id instanceof org.jsmpp.bean.OptionalParameter.OctetString text)
                    || !(state instanceof org.jsmpp.bean.OptionalParameter.Byte value)) {
                return null;
            }
            String messageId = text.getValueAsString().replace("\u0000", "").strip();
            if (messageId.isEmpty()) {
                return null;
            }
            // SMPP 3.4, 5.2.28: 0 scheduled, 1 en route, 2 delivered, 3 expired, 4 deleted, 5 undeliverable,
            // 6 accepted, 7 unknown, 8 rejected, 9 skipped; named as the text format names them
            String failure = switch (value.getValue()) {
                case 0, 1, 6 -> "";
                case 2 -> null;
                case 3 -> "SMSC_EXPIRED";
                case 4 -> "SMSC_DELETED";
                case 5 -> "SMSC_UNDELIV";
                case 8 -> "SMSC_REJECTD";
                case 9 -> "SMSC_SKIPPED";
                default -> "SMSC_UNKNOWN";
            };
            if ("".equals(failure)) {
                return new Deliveries.ProviderReport(messageId, null, null);
            }
            return new Deliveries.ProviderReport(messageId, failure == null ? ReceiptStatus.DELIVERED
                    : ReceiptStatus.FAILED, failure);
        }

        @Override
        public void onAcceptAlertNotification(AlertNotification alertNotification) {
            // nothing to do
        }

        @Override
        public DataSmResult onAcceptDataSm(DataSm dataSm, Session source) {
            return null;
        }
    }

    /**
     * How long a deliver_sm waits for its receipt to be stored before the SMSC is told to send it again: well within
     * the 2 s an SMSC commonly allows for a response, so that the answer is ours, not its timer's.
     */
    static final Duration RECEIPT_ACK_WAIT = Duration.ofMillis(1500);
    /** The longest a group of receipts may take to store; longer, and the SMSC is asked again instead. */
    private static final Duration RECEIPT_STORE_LIMIT = Duration.ofMillis(1000);
    /** After the database failed to store receipts, for how long the next ones are refused without trying. */
    private static final long UNAVAILABLE_BACKOFF_MILLIS = 1000;

    /** A delivery receipt waiting to be stored, and its storing's outcome. */
    private record Pending(Deliveries.ProviderReport report, CompletableFuture<Boolean> stored,
                           java.util.concurrent.atomic.AtomicBoolean unknown) {
    }

    /**
     * How many offers of a receipt whose message id is unknown (while the database answers) are refused before it is
     * acknowledged and dropped. An unknown id is most often a receipt that overtook its job's record by a moment,
     * which a later offer finds; one still unknown after that belongs to a submission whose id was never recorded (a
     * submit_sm_resp lost to a timeout, a job reported UNCERTAIN), and refusing it for ever would keep the SMSC
     * offering it until its own validity ends.
     */
    public static final int UNKNOWN_OFFERS = 3;

    /** Offers refused so far, per unknown message id (the most recent ids only). */
    private final Map<String, Integer> unknownOffers = java.util.Collections.synchronizedMap(
            new java.util.LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
                    return size() > 10_000;
                }
            });

    private final java.util.concurrent.ConcurrentLinkedQueue<Pending> waiting =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    private final java.util.concurrent.atomic.AtomicBoolean draining = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile long unavailableUntil;

    /**
     * Stores a delivery receipt before the SMSC has its deliver_sm_resp: the receipt is acknowledged only once its
     * row is committed. When it cannot be stored in time (the database away or slow, or its job's own row not
     * committed yet), the answer is ESME_RX_T_APPN, a temporary refusal, and the SMSC delivers it again later, as
     * SMSCs do: a receipt lives in the SMSC's store until this side has it in its own, and a crash loses none.
     * Concurrent receipts are stored a group per transaction by the receipts thread.
     */
    private void store(Deliveries.ProviderReport report) throws ProcessRequestException {
        if (System.currentTimeMillis() < unavailableUntil) {
            throw new ProcessRequestException("receipts cannot be stored now", SMPPConstant.STAT_ESME_RX_T_APPN);
        }
        var pending = new Pending(report, new CompletableFuture<>(), new java.util.concurrent.atomic.AtomicBoolean());
        queue(pending);
        boolean stored;
        try {
            stored = pending.stored().get(RECEIPT_ACK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
            stored = false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            stored = false;
        }
        if (!stored) {
            // whatever is still queued for it is dropped: the SMSC has it and will deliver it again
            pending.stored().complete(false);
            if (pending.unknown().get() && report.providerMessageId() != null
                    && unknownOffers.merge(report.providerMessageId(), 1, Integer::sum) >= UNKNOWN_OFFERS) {
                unknownOffers.remove(report.providerMessageId());
                LOG.warnf("SMPP delivery receipt for message %s (%s) matches no submission after %d offers;"
                        + " acknowledged and dropped", report.providerMessageId(), report.status(), UNKNOWN_OFFERS);
                return;
            }
            throw new ProcessRequestException("receipt not stored yet", SMPPConstant.STAT_ESME_RX_T_APPN);
        }
        if (report.providerMessageId() != null) {
            unknownOffers.remove(report.providerMessageId());
        }
    }

    private void queue(Pending pending) {
        waiting.add(pending);
        if (draining.compareAndSet(false, true)) {
            try {
                receipts.execute(this::drain);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // stopping: refused, so the SMSC keeps it
                draining.set(false);
                pending.stored().complete(false);
            }
        }
    }

    /**
     * Stores what is queued, a group per transaction. A receipt can overtake the commit of its job's row by a
     * moment: an unknown id is tried again every 250 ms while its deliver_sm waits.
     */
    private void drain() {
        try {
            while (true) {
                var group = new java.util.ArrayList<Pending>();
                Pending next;
                while (group.size() < 500 && (next = waiting.poll()) != null) {
                    if (!next.stored().isDone()) {
                        group.add(next);
                    }
                }
                if (group.isEmpty()) {
                    return;
                }
                List<Deliveries.ProviderReport> unknown;
                try {
                    unknown = deliveries.get().reportAll(Channel.SMS,
                            group.stream().map(Pending::report).toList(), RECEIPT_STORE_LIMIT);
                } catch (RuntimeException e) {
                    unavailableUntil = System.currentTimeMillis() + UNAVAILABLE_BACKOFF_MILLIS;
                    LOG.debugf("%d delivery receipts not stored, left with the SMSC: %s", group.size(),
                            e.getMessage());
                    group.forEach(p -> p.stored().complete(false));
                    continue;
                }
                var unknownIds = new java.util.HashSet<>(unknown);
                for (Pending p : group) {
                    if (!unknownIds.contains(p.report())) {
                        p.stored().complete(true);
                    } else {
                        p.unknown().set(true);
                        retryLater(p);
                    }
                }
            }
        } finally {
            draining.set(false);
            if (!waiting.isEmpty() && draining.compareAndSet(false, true)) {
                try {
                    receipts.execute(this::drain);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    draining.set(false);
                }
            }
        }
    }

    private void retryLater(Pending p) {
        try {
            receipts.schedule(() -> queue(p), 250, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            p.stored().complete(false);
        }
    }
}
