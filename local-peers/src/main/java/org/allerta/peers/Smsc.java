package org.allerta.peers;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.allerta.contracts.sms.Gsm7;
import org.jsmpp.SMPPConstant;
import org.jsmpp.bean.BroadcastSm;
import org.jsmpp.bean.CancelBroadcastSm;
import org.jsmpp.bean.CancelSm;
import org.jsmpp.bean.DataSm;
import org.jsmpp.bean.DeliveryReceipt;
import org.jsmpp.bean.ESMClass;
import org.jsmpp.bean.GSMSpecificFeature;
import org.jsmpp.bean.GeneralDataCoding;
import org.jsmpp.bean.MessageMode;
import org.jsmpp.bean.MessageType;
import org.jsmpp.bean.NumberingPlanIndicator;
import org.jsmpp.bean.QueryBroadcastSm;
import org.jsmpp.bean.QuerySm;
import org.jsmpp.bean.RegisteredDelivery;
import org.jsmpp.bean.ReplaceSm;
import org.jsmpp.bean.SMSCDeliveryReceipt;
import org.jsmpp.bean.SubmitMulti;
import org.jsmpp.bean.SubmitSm;
import org.jsmpp.bean.TypeOfNumber;
import org.jsmpp.extra.ProcessRequestException;
import org.jsmpp.extra.SessionState;
import org.jsmpp.session.BindRequest;
import org.jsmpp.session.BroadcastSmResult;
import org.jsmpp.session.DataSmResult;
import org.jsmpp.session.QueryBroadcastSmResult;
import org.jsmpp.session.QuerySmResult;
import org.jsmpp.session.SMPPServerSession;
import org.jsmpp.session.SMPPServerSessionListener;
import org.jsmpp.session.ServerMessageReceiverListener;
import org.jsmpp.session.Session;
import org.jsmpp.session.SubmitMultiResult;
import org.jsmpp.session.SubmitSmResult;
import org.jsmpp.util.MessageId;

/**
 * An SMSC simulator speaking SMPP 3.4 on loopback (jSMPP's server side): accepts binds, accepts submit_sm, reassembles
 * concatenated messages (UDH 00), decodes GSM-7 (data coding 0) and UCS-2 (8), keeps what it received, and sends a
 * delivery receipt (deliver_sm) for every message that asked for one. It can be told to throttle the next submits
 * (ESME_RTHROTTLED) or to report every message as undeliverable.
 */
public final class Smsc implements AutoCloseable {

    /**
     * A message as the handset would show it.
     *
     * @param messageId   the SMSC's id, as in the submit_sm_resp of its last part
     * @param source      the sender address
     * @param destination the recipient
     * @param text        the reassembled text
     * @param encoding    "GSM7" or "UCS2"
     * @param segments    how many submit_sm made it
     * @param at          when the last part arrived
     * @param validity    the validity period of the last part, as sent (SMPP time format), or null
     */
    public record Received(String messageId, String source, String destination, String text, String encoding,
                           int segments, Instant at, String validity) {
    }

    private final SMPPServerSessionListener listener;
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread thread = new Thread(r, "smsc");
        thread.setDaemon(true);
        return thread;
    });
    private final ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "smsc-receipts");
        thread.setDaemon(true);
        return thread;
    });
    /** How many times a receipt is offered before it is given up (about 15 minutes in all). */
    static final int RECEIPT_ATTEMPTS = 120;
    private final AtomicLong refusedReceipts = new AtomicLong();
    private volatile long receiptDelayMillis = 50;
    private final List<Received> received = java.util.Collections.synchronizedList(new java.util.ArrayList<>());
    private final Map<String, List<byte[]>> partial = new ConcurrentHashMap<>();
    /**
     * The SMSC's message ids: ten digits from a random start, so that a sender sharing its database with an earlier
     * SMSC (a restart, another test) never meets an id twice, as a real SMSC's ids do not repeat within the time its
     * receipts may take.
     */
    private final AtomicLong ids = new AtomicLong(1_000_000_000L
            + java.util.concurrent.ThreadLocalRandom.current().nextLong(8_000_000_000L));
    private final AtomicInteger throttle = new AtomicInteger();
    private final AtomicInteger acceptBeforeThrottle = new AtomicInteger();
    private final AtomicInteger answerLate = new AtomicInteger();
    private volatile long lateMillis;
    private final AtomicLong submits = new AtomicLong();
    private volatile boolean undeliverable;
    private volatile boolean running = true;
    private final List<SMPPServerSession> sessions = new java.util.concurrent.CopyOnWriteArrayList<>();

    private Smsc(int port) throws IOException {
        listener = new SMPPServerSessionListener(port);
        listener.setMessageReceiverListener(new Receiver());
        workers.execute(this::acceptLoop);
    }

    /** Starts an SMSC on {@code port} (0 = any free port). */
    public static Smsc start(int port) throws IOException {
        if (port == 0) {
            try (var probe = new java.net.ServerSocket(0)) {
                port = probe.getLocalPort();
            }
        }
        return new Smsc(port);
    }

    /** The port it listens on. */
    public int port() {
        return listener.getPort();
    }

    /** How many messages it received so far. */
    public int receivedCount() {
        return received.size();
    }

    /** What it received so far. */
    public List<Received> received() {
        synchronized (received) {
            return List.copyOf(received);
        }
    }

    /** How many submit_sm it accepted (parts included). */
    public long submits() {
        return submits.get();
    }

    /**
     * Takes the next {@code count} submit_sm (a complete message is received) but answers each only after
     * {@code delay}: an SMSC under load whose submit_sm_resp comes after the client gave up waiting.
     */
    public void answerLate(int count, java.time.Duration delay) {
        lateMillis = delay.toMillis();
        answerLate.set(count);
    }

    /** Answers the next {@code count} submit_sm with ESME_RTHROTTLED. */
    public void throttleNext(int count) {
        throttleAfter(0, count);
    }

    /** Accepts the next {@code accepted} submit_sm, then answers {@code count} with ESME_RTHROTTLED. */
    public void throttleAfter(int accepted, int count) {
        acceptBeforeThrottle.set(accepted);
        throttle.set(count);
    }

    /** How many delivery receipts the client refused or left unanswered (each is offered again). */
    public long refusedReceipts() {
        return refusedReceipts.get();
    }

    /** How long after a message the SMSC sends its delivery receipt (50 ms unless told). */
    public void receiptDelay(java.time.Duration delay) {
        receiptDelayMillis = delay.toMillis();
    }

    /** From now on, receipts say UNDELIV. */
    public void undeliverable(boolean value) {
        undeliverable = value;
    }

    /**
     * From now on, receipts carry the message id and its state in the standard fields ({@code receipted_message_id},
     * {@code message_state}) and a text of the vendor's own, as many SMSCs write it, instead of the text format of
     * SMPP 3.4's appendix B.
     */
    public void receiptsInFieldsOnly(boolean value) {
        receiptsInFieldsOnly = value;
    }

    private volatile boolean receiptsInFieldsOnly;

    private void acceptLoop() {
        while (running) {
            try {
                SMPPServerSession session = listener.accept();
                sessions.add(session);
                workers.execute(() -> bind(session));
            } catch (IOException e) {
                if (running) {
                    sleep(100);
                }
            }
        }
    }

    private void bind(SMPPServerSession session) {
        try {
            BindRequest request = session.waitForBind(5000);
            request.accept("allerta-smsc");
        } catch (Exception e) {
            session.close();
        }
    }

    private final class Receiver implements ServerMessageReceiverListener {

        @Override
        public SubmitSmResult onAcceptSubmitSm(SubmitSm submit, SMPPServerSession session)
                throws ProcessRequestException {
            if (acceptBeforeThrottle.getAndUpdate(n -> Math.max(0, n - 1)) == 0
                    && throttle.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new ProcessRequestException("throttled", SMPPConstant.STAT_ESME_RTHROTTLED);
            }
            submits.incrementAndGet();
            byte[] body = submit.getShortMessage();
            boolean udhi = GSMSpecificFeature.UDHI.containedIn(submit.getEsmClass());
            int total = 1;
            String key = null;
            if (udhi && body.length > 6 && body[1] == 0x00) {
                int headerLength = body[0] & 0xff;
                int reference = body[3] & 0xff;
                total = body[4] & 0xff;
                int sequence = body[5] & 0xff;
                key = submit.getDestAddress() + "/" + reference;
                byte[] payload = Arrays.copyOfRange(body, headerLength + 1, body.length);
                int count = Math.max(1, total);
                List<byte[]> parts = partial.computeIfAbsent(key, k -> new ArrayList<>(java.util.Collections
                        .nCopies(count, (byte[]) null)));
                synchronized (parts) {
                    if (sequence >= 1 && sequence <= parts.size()) {
                        parts.set(sequence - 1, payload);
                    }
                    if (parts.contains(null)) {
                        return result(submit, session, false);
                    }
                    var all = new java.io.ByteArrayOutputStream();
                    parts.forEach(all::writeBytes);
                    body = all.toByteArray();
                }
                partial.remove(key);
            }
            boolean ucs2 = (submit.getDataCoding() & 0x0F) == 0x08;
            String text = ucs2 ? new String(body, StandardCharsets.UTF_16BE) : Gsm7.decode(body);
            SubmitSmResult result = result(submit, session, true);
            received.add(new Received(result.getMessageId(), submit.getSourceAddr(), submit.getDestAddress(), text,
                    ucs2 ? "UCS2" : "GSM7", total, Instant.now(), submit.getValidityPeriod()));
            if (answerLate.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                sleep(lateMillis);
            }
            return result;
        }

        private SubmitSmResult result(SubmitSm submit, SMPPServerSession session, boolean complete)
                throws ProcessRequestException {
            String id = Long.toString(ids.incrementAndGet());
            try {
                if (complete && SMSCDeliveryReceipt.SUCCESS_FAILURE.containedIn(submit.getRegisteredDelivery())
                        || complete && SMSCDeliveryReceipt.SUCCESS.containedIn(submit.getRegisteredDelivery())) {
                    String destination = submit.getDestAddress();
                    String source = submit.getSourceAddr();
                    workers.execute(() -> receipt(session, id, source, destination));
                }
                return new SubmitSmResult(new MessageId(id), null);
            } catch (Exception e) {
                throw new ProcessRequestException("cannot answer: " + e.getMessage(), SMPPConstant.STAT_ESME_RSYSERR);
            }
        }

        @Override
        public SubmitMultiResult onAcceptSubmitMulti(SubmitMulti submitMulti, SMPPServerSession source)
                throws ProcessRequestException {
            throw new ProcessRequestException("not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public QuerySmResult onAcceptQuerySm(QuerySm querySm, SMPPServerSession source)
                throws ProcessRequestException {
            throw new ProcessRequestException("not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public void onAcceptReplaceSm(ReplaceSm replaceSm, SMPPServerSession source) throws ProcessRequestException {
            throw new ProcessRequestException("not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public void onAcceptCancelSm(CancelSm cancelSm, SMPPServerSession source) throws ProcessRequestException {
            throw new ProcessRequestException("not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public BroadcastSmResult onAcceptBroadcastSm(BroadcastSm broadcastSm, SMPPServerSession source)
                throws ProcessRequestException {
            throw new ProcessRequestException("not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public void onAcceptCancelBroadcastSm(CancelBroadcastSm cancelBroadcastSm, SMPPServerSession source)
                throws ProcessRequestException {
            throw new ProcessRequestException("not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public QueryBroadcastSmResult onAcceptQueryBroadcastSm(QueryBroadcastSm queryBroadcastSm,
                                                               SMPPServerSession source)
                throws ProcessRequestException {
            throw new ProcessRequestException("not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }

        @Override
        public DataSmResult onAcceptDataSm(DataSm dataSm, Session source) throws ProcessRequestException {
            throw new ProcessRequestException("not supported", SMPPConstant.STAT_ESME_RINVCMDID);
        }
    }

    private void receipt(SMPPServerSession session, String id, String source, String destination) {
        sleep(receiptDelayMillis);
        deliverReceipt(session, id, source, destination, undeliverable, 1);
    }

    /**
     * Sends a delivery receipt; one the client refuses (a negative deliver_sm_resp) or leaves unanswered is sent
     * again later, 1, 2, 4, then every 8 seconds, up to {@link #RECEIPT_ATTEMPTS} times, as an SMSC keeps a receipt
     * until its client has taken it.
     */
    private void deliverReceipt(SMPPServerSession session, String id, String source, String destination,
                                boolean failed, int attempt) {
        if (!running || session.getSessionState() != SessionState.BOUND_TRX
                && session.getSessionState() != SessionState.BOUND_RX) {
            return;   // the client went away: a real SMSC would keep it for the next bind, this one forgets it
        }
        var state = failed ? org.jsmpp.util.DeliveryReceiptState.UNDELIV
                : org.jsmpp.util.DeliveryReceiptState.DELIVRD;
        var receipt = new DeliveryReceipt(id, 1, failed ? 0 : 1, new Date(), new Date(), state,
                failed ? "001" : "000", "");
        try {
            boolean fields = receiptsInFieldsOnly;
            byte[] text = fields ? ("Messaggio " + (failed ? "non consegnato" : "consegnato")).getBytes(
                    StandardCharsets.US_ASCII) : receipt.toString().getBytes(StandardCharsets.US_ASCII);
            org.jsmpp.bean.OptionalParameter[] standard = fields ? new org.jsmpp.bean.OptionalParameter[] {
                    new org.jsmpp.bean.OptionalParameter.Receipted_message_id(id),
                    new org.jsmpp.bean.OptionalParameter.Message_state(failed ? (byte) 5 : (byte) 2)}
                    : new org.jsmpp.bean.OptionalParameter[0];
            session.deliverShortMessage("", TypeOfNumber.INTERNATIONAL, NumberingPlanIndicator.ISDN, destination,
                    TypeOfNumber.ALPHANUMERIC, NumberingPlanIndicator.UNKNOWN, source,
                    new ESMClass(MessageMode.DEFAULT, MessageType.SMSC_DEL_RECEIPT, GSMSpecificFeature.DEFAULT),
                    (byte) 0, (byte) 0, new RegisteredDelivery(0), GeneralDataCoding.DEFAULT, text, standard);
        } catch (org.jsmpp.extra.NegativeResponseException | org.jsmpp.extra.ResponseTimeoutException e) {
            refusedReceipts.incrementAndGet();
            if (attempt < RECEIPT_ATTEMPTS && running) {
                long delay = 1000L << Math.min(attempt - 1, 3);
                try {
                    later.schedule(() -> deliverReceipt(session, id, source, destination, failed, attempt + 1),
                            delay, TimeUnit.MILLISECONDS);
                } catch (java.util.concurrent.RejectedExecutionException stopped) {
                    // closing
                }
            }
        } catch (Exception e) {
            // the client went away: its receipt is lost, as above
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        running = false;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing
        }
        // as a stopped SMSC does: the connections of its clients end with it
        sessions.forEach(SMPPServerSession::close);
        workers.shutdownNow();
        later.shutdownNow();
        try {
            workers.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
