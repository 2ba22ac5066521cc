package org.allerta.intake.raw;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.allerta.contracts.DeadLetter;
import org.allerta.contracts.Topics;
import org.allerta.intake.cap.CapService;
import org.allerta.intake.cap.CapReader;
import org.allerta.intake.cap.SafeXml;
import org.allerta.intake.event.EventInput;
import org.allerta.intake.event.EventService;
import org.allerta.intake.event.FeatureReader;
import org.allerta.service.geometry.AreaValidator;
import org.allerta.service.outbox.Outbox;
import org.allerta.intake.publisher.PublisherRecord;
import org.allerta.intake.publisher.PublisherRepository;
import org.allerta.intake.publisher.SecretBox;
import org.allerta.service.Jdbc;
import org.allerta.service.problem.Problem;
import org.allerta.service.problem.ProblemException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.jboss.logging.Logger;

/**
 * One record of {@code intake.raw}: a GeoJSON Feature or a CAP alert written by a publisher, with the headers
 * {@code allerta-publisher} (its id) and {@code allerta-signature} (hex HMAC-SHA256 of the payload under its signing
 * secret; a {@code sha256=} prefix is accepted). The signature is checked in constant time, then the same validation
 * and authorisation as REST apply. A refused record becomes a {@link DeadLetter} on {@code alerts.dlq} with every
 * reason and the original payload (never a credential).
 */
@ApplicationScoped
public class RawIntake {

    public static final String PUBLISHER_HEADER = "allerta-publisher";
    public static final String SIGNATURE_HEADER = "allerta-signature";
    private static final Logger LOG = Logger.getLogger(RawIntake.class);

    private final Jdbc jdbc;
    private final PublisherRepository publishers;
    private final SecretBox secrets;
    private final EventService events;
    private final CapService caps;
    private final Outbox outbox;
    private final FeatureReader features;
    private final CapReader capReader;
    private final long maxBytes;
    private final org.allerta.service.RecordProducer producer;

    RawIntake(Jdbc jdbc, PublisherRepository publishers, SecretBox secrets, EventService events, CapService caps,
              Outbox outbox, org.allerta.service.RecordProducer producer,
              @ConfigProperty(name = "allerta.intake.max-vertices", defaultValue = "10000") int maxVertices,
              @ConfigProperty(name = "allerta.cap.zero-radius-m", defaultValue = "100") double zeroRadiusM,
              @ConfigProperty(name = "allerta.http.max-body-bytes", defaultValue = "1048576") long maxBytes) {
        this.jdbc = jdbc;
        this.publishers = publishers;
        this.secrets = secrets;
        this.events = events;
        this.caps = caps;
        this.outbox = outbox;
        this.features = new FeatureReader(new AreaValidator(maxVertices));
        this.capReader = new CapReader(new AreaValidator(maxVertices), zeroRadiusM);
        this.maxBytes = maxBytes;
        this.producer = producer;
    }

    /**
     * Handles one record: accepted, or dead-lettered. Throws only when the database cannot be reached, so that the
     * caller retries the same record later.
     */
    public void handle(ConsumerRecord<String, byte[]> record) {
        try {
            accept(record);
        } catch (ProblemException e) {
            if (e.problem().status() == 503) {
                throw e;
            }
            deadLetter(record, reasons(e.problem()));
        } catch (RuntimeException e) {
            if (org.allerta.service.problem.DatabaseErrors.isUnavailable(e)
                    || org.allerta.service.problem.DatabaseErrors.isTransient(e)) {
                // the record is not at fault: it is read again once the database answers
                throw ProblemException.unavailable("database unavailable", 5);
            }
            String id = UUID.randomUUID().toString();
            LOG.errorf(e, "unexpected error on intake.raw record %d/%d (%s)", record.partition(), record.offset(), id);
            deadLetter(record, List.of(new DeadLetter.Problem(Problem.TYPE_PREFIX + "internal-error", "",
                    "An unexpected error occurred (" + id + "); the operators were alerted.")));
        }
    }

    private void accept(ConsumerRecord<String, byte[]> record) {
        String publisherId = header(record, PUBLISHER_HEADER).orElseThrow(() -> refused("missing-publisher",
                "header:" + PUBLISHER_HEADER, "The record must name its publisher in the " + PUBLISHER_HEADER
                        + " header."));
        String signature = header(record, SIGNATURE_HEADER).orElseThrow(() -> refused("missing-signature",
                "header:" + SIGNATURE_HEADER, "The record must carry the HMAC-SHA256 of its payload in the "
                        + SIGNATURE_HEADER + " header."));
        PublisherRecord publisher = jdbc.inTransaction(c -> publishers.byId(c, publisherId))
                .filter(PublisherRecord::active)
                .orElseThrow(() -> refused("unknown-publisher", "header:" + PUBLISHER_HEADER,
                        "No active publisher " + publisherId + "."));
        String secret = secrets.open(publisher.sealedSigningSecret()).orElseThrow(() -> refused(
                "signing-secret-unreadable", "header:" + SIGNATURE_HEADER,
                "The publisher's signing secret cannot be read; ask the administrator to rotate it."));
        byte[] payload = record.value() == null ? new byte[0] : record.value();
        if (!validSignature(payload, secret, signature)) {
            throw refused("bad-signature", "header:" + SIGNATURE_HEADER,
                    "The signature does not match the payload and the publisher's signing secret.");
        }
        if (payload.length > maxBytes) {
            throw refused("body-too-large", "", "The payload exceeds " + maxBytes + " bytes.");
        }
        if (isXml(record, payload)) {
            caps.submit(publisher, capReader.read(SafeXml.parse(payload)));
        } else {
            JsonNode feature = FeatureReader.parse(payload);
            // the signature covers the value only: what names the event and orders its revisions must be in it
            var missing = new ArrayList<Problem.Issue>();
            if (feature instanceof ObjectNode object && object.path("properties") instanceof ObjectNode properties) {
                if (!properties.hasNonNull("publisherEventId")) {
                    missing.add(Problem.Issue.of("missing-property", "/properties/publisherEventId", "On intake.raw"
                            + " the event's id must be inside the signed value: the record's key is not signed, and a"
                            + " copy of the record under another key would be another event."));
                }
                if (!properties.hasNonNull("sentAt")) {
                    missing.add(Problem.Issue.of("missing-property", "/properties/sentAt", "On intake.raw the value"
                            + " must say when it was sent: without it, a copy of an older record replayed later would"
                            + " undo the revisions after it."));
                }
            }
            var input = readReporting(feature, missing);
            if (!missing.isEmpty()) {
                throw ProblemException.invalid("The signed value must name its event and when it was sent.", missing);
            }
            events.submit(publisher, input);
        }
    }

    /** Reads the Feature; what it refuses is reported together with {@code issues}, each reason once. */
    private EventInput readReporting(JsonNode feature, List<Problem.Issue> issues) {
        try {
            return features.read(feature);
        } catch (ProblemException e) {
            if (issues.isEmpty() || e.problem().status() != 422) {
                throw e;
            }
            var all = new java.util.LinkedHashSet<>(issues);
            all.addAll(e.problem().problems());
            throw ProblemException.invalid(e.problem().detail(), List.copyOf(all));
        }
    }

    static boolean validSignature(byte[] payload, String secret, String signature) {
        String hex = signature.trim().toLowerCase(Locale.ROOT);
        if (hex.startsWith("sha256=")) {
            hex = hex.substring(7);
        }
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] expected = mac.doFinal(payload);
            byte[] given = HexFormat.of().parseHex(hex);
            return MessageDigest.isEqual(expected, given);
        } catch (IllegalArgumentException e) {
            return false;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static boolean isXml(ConsumerRecord<String, byte[]> record, byte[] payload) {
        Optional<String> type = header(record, "content-type");
        if (type.isPresent()) {
            return type.get().toLowerCase(Locale.ROOT).contains("xml");
        }
        for (byte b : payload) {
            if (!Character.isWhitespace(b) && b != (byte) 0xEF && b != (byte) 0xBB && b != (byte) 0xBF) {
                return b == '<';
            }
        }
        return false;
    }

    private void deadLetter(ConsumerRecord<String, byte[]> record, List<DeadLetter.Problem> reasons) {
        byte[] payload = record.value() == null ? new byte[0] : record.value();
        var kept = org.allerta.service.RecordProducer.kept(payload);
        var safeHeaders = new LinkedHashMap<String, String>();
        header(record, PUBLISHER_HEADER).ifPresent(v -> safeHeaders.put(PUBLISHER_HEADER, v));
        header(record, "content-type").ifPresent(v -> safeHeaders.put("content-type", v));
        String id = UUID.randomUUID().toString();
        var letter = new DeadLetter(id, Topics.INTAKE_RAW, "alert-intake", record.key(), reasons,
                kept.payload(), kept.encoding(), safeHeaders, record.partition(), record.offset(), Instant.now());
        jdbc.inTransaction(c -> {
            outbox.add(c, Topics.ALERTS_DLQ, record.key() == null ? id : record.key(), letter, id, record.key());
            return null;
        });
        producer.countDeadLetter(Topics.INTAKE_RAW, reasons);
        LOG.infof("intake.raw record %d/%d dead-lettered: %s", record.partition(), record.offset(),
                reasons.get(0).type());
    }

    private static List<DeadLetter.Problem> reasons(Problem problem) {
        var reasons = new ArrayList<DeadLetter.Problem>();
        for (Problem.Issue issue : problem.problems()) {
            reasons.add(new DeadLetter.Problem(issue.type(), issue.where(), issue.why()));
        }
        if (reasons.isEmpty()) {
            reasons.add(new DeadLetter.Problem(problem.type(), "", problem.detail()));
        }
        return reasons;
    }

    private static ProblemException refused(String slug, String where, String why) {
        return ProblemException.invalid(why, List.of(Problem.Issue.of(slug, where, why)));
    }

    private static Optional<String> header(ConsumerRecord<String, byte[]> record, String name) {
        Header header = record.headers().lastHeader(name);
        if (header == null || header.value() == null) {
            return Optional.empty();
        }
        return utf8(header.value()).map(String::trim).filter(v -> !v.isEmpty());
    }

    private static Optional<String> utf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }
}
