package org.allerta.peers;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.GreenMailUtil;
import com.icegreen.greenmail.util.ServerSetup;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import jakarta.mail.Multipart;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.allerta.contracts.Json;

/**
 * The local protocol peers as one process, for {@code ./allerta up} and the demo: an SMTP server (GreenMail), the SMSC
 * simulator (SMPP 3.4) and a webhook provider, all on loopback, and an HTTP endpoint to read what citizens would
 * have received:
 * <ul>
 *   <li>{@code GET /mail} — e-mails: to, subject, plain text;</li>
 *   <li>{@code GET /sms} — SMS as the handset shows them (reassembled), with their encoding and segment count;</li>
 *   <li>{@code GET /webhook} — push, WhatsApp and Telegram requests received on {@code POST /webhook/{channel}};</li>
 *   <li>{@code POST /smsc/throttle?count=N}, {@code POST /smsc/undeliverable?on=true|false} — make the SMSC
 *       difficult.</li>
 *   <li>{@code GET /counts} — how many of each were received;</li>
 * </ul>
 * Listings take {@code ?from=N} to skip the first N entries.
 * Usage: {@code LocalPeers --smtp-port 2525 --smpp-port 2775 --http-port 8089}.
 */
public final class LocalPeers implements AutoCloseable {

    private final GreenMail mail;
    private final Smsc smsc;
    private final HttpServer http;

    private LocalPeers(GreenMail mail, Smsc smsc, HttpServer http) {
        this.mail = mail;
        this.smsc = smsc;
        this.http = http;
    }

    public static void main(String[] args) throws Exception {
        int smtpPort = 2525;
        int smppPort = 2775;
        int httpPort = 8089;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--smtp-port" -> smtpPort = Integer.parseInt(args[i + 1]);
                case "--smpp-port" -> smppPort = Integer.parseInt(args[i + 1]);
                case "--http-port" -> httpPort = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        LocalPeers peers = start(smtpPort, smppPort, httpPort);
        System.out.printf("local peers: SMTP 127.0.0.1:%d, SMPP 127.0.0.1:%d, HTTP http://127.0.0.1:%d "
                + "(/mail, /sms, /webhook, /counts)%n", smtpPort, peers.smppPort(), peers.httpPort());
        var stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            peers.close();
            stop.countDown();
        }));
        stop.await();
    }

    /** Starts the three peers on loopback (0 = any free port for SMPP and HTTP). */
    public static LocalPeers start(int smtpPort, int smppPort, int httpPort) throws IOException {
        // Jakarta Mail would otherwise look its stream provider up through ServiceLoader for every message and part
        System.getProperties().putIfAbsent("jakarta.mail.util.StreamProvider",
                "org.eclipse.angus.mail.util.MailStreamProvider");
        GreenMail mail = new GreenMail(new ServerSetup(smtpPort, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        mail.start();
        // one mailbox for every recipient: GreenMail would open a mailbox per address and find it among all the
        // others at each delivery, slower with every new recipient; the listings read the recipient from the message
        var inbox = mail.setUser("peers@allerta.invalid", "peers", UUID.randomUUID().toString());
        mail.getUserManager().setMessageDeliveryHandler((message, address) -> inbox);
        com.icegreen.greenmail.store.MailFolder inboxFolder;
        try {
            inboxFolder = mail.getManagers().getImapHostManager().getInbox(inbox);
        } catch (com.icegreen.greenmail.store.FolderException e) {
            throw new IOException("the peers' mailbox", e);
        }
        Smsc smsc = Smsc.start(smppPort);
        // appended under its own lock (a copy-on-write list would copy itself at every one of 100,000 arrivals)
        // each delivery as received (its body as bytes: a tree per body would take several times the memory)
        List<Hook> hooks = new java.util.ArrayList<>();
        var hooksPerChannel = new java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.atomic.LongAdder>();
        ArrivalOrder arrivals = new ArrivalOrder(mail);
        // without TCP_NODELAY each answer waits for the client's delayed acknowledgement: 48 ms per webhook delivery
        // measured on one connection, so that a provider on loopback took at most about 80 requests a second
        System.getProperties().putIfAbsent("sun.net.httpserver.nodelay", "true");
        HttpServer http = HttpServer.create(new InetSocketAddress("127.0.0.1", httpPort), 0);
        http.createContext("/mail", exchange -> {
            ArrayNode list = Json.mapper().createArrayNode();
            List<MimeMessage> messages = arrivals.messages();
            for (int i = from(exchange); i < messages.size(); i++) {
                MimeMessage message = messages.get(i);
                try {
                    ObjectNode m = list.addObject();
                    m.put("to", message.getAllRecipients()[0].toString());
                    String[] job = message.getHeader("X-Allerta-Job");
                    if (job != null) {
                        m.put("jobId", job[0]);
                    }
                    m.put("subject", message.getSubject());
                    Object content = message.getContent();
                    m.put("text", content instanceof Multipart parts
                            ? String.valueOf(parts.getBodyPart(0).getContent()) : GreenMailUtil.getBody(message));
                    String[] unsubscribe = message.getHeader("List-Unsubscribe");
                    if (unsubscribe != null) {
                        m.put("listUnsubscribe", unsubscribe[0]);
                    }
                } catch (Exception e) {
                    list.addObject().put("error", String.valueOf(e.getMessage()));
                }
            }
            answer(exchange, 200, Json.toBytes(list));
        });
        http.createContext("/sms", exchange -> {
            List<Smsc.Received> all = smsc.received();
            answer(exchange, 200, Json.toBytes(all.subList(Math.min(from(exchange), all.size()), all.size())));
        });
        http.createContext("/counts", exchange -> {
            ObjectNode counts = Json.mapper().createObjectNode();
            // counted, not listed: polled often while a hundred thousand messages arrive
            counts.put("mail", inboxFolder.getMessageCount());
            counts.put("sms", smsc.receivedCount());
            ObjectNode webhook = counts.putObject("webhook");
            new java.util.TreeMap<>(hooksPerChannel).forEach((channel, n) -> webhook.put(channel, n.sum()));
            answer(exchange, 200, Json.toBytes(counts));
        });
        http.createContext("/webhook", exchange -> {
            if ("POST".equals(exchange.getRequestMethod())) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                Json.mapper().readTree(body); // a delivery that is not JSON fails here, as it would at a provider
                Hook hook = new Hook(exchange.getRequestURI().getPath().replaceFirst("^/webhook/?", ""),
                        exchange.getRequestHeaders().getFirst("X-Allerta-Signature"), Instant.now(), body);
                int id;
                synchronized (hooks) {
                    hooks.add(hook);
                    id = hooks.size();
                }
                hooksPerChannel.computeIfAbsent(hook.channel(),
                        c -> new java.util.concurrent.atomic.LongAdder()).increment();
                answer(exchange, 200, ("{\"id\":\"hook-" + id + "\"}").getBytes(StandardCharsets.UTF_8));
            } else {
                ArrayNode list = Json.mapper().createArrayNode();
                for (Hook hook : snapshot(hooks, from(exchange))) {
                    ObjectNode h = list.addObject();
                    h.put("channel", hook.channel());
                    h.put("signature", hook.signature());
                    h.put("at", hook.at().toString());
                    h.set("body", Json.mapper().readTree(hook.body()));
                }
                answer(exchange, 200, Json.toBytes(list));
            }
        });
        http.createContext("/smsc/throttle", exchange -> {
            smsc.throttleNext(Integer.parseInt(query(exchange, "count", "10")));
            answer(exchange, 204, new byte[0]);
        });
        http.createContext("/smsc/undeliverable", exchange -> {
            smsc.undeliverable(Boolean.parseBoolean(query(exchange, "on", "true")));
            answer(exchange, 204, new byte[0]);
        });
        // several handlers at once: a long listing must not hold back the webhook deliveries
        http.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8, r -> {
            Thread thread = new Thread(r, "peers-http");
            thread.setDaemon(true);
            return thread;
        }));
        http.start();
        return new LocalPeers(mail, smsc, http);
    }

    /** The entries of a list appended under its own lock, from index {@code from}. */
    private static <T> List<T> snapshot(List<T> list, int from) {
        synchronized (list) {
            return List.copyOf(list.subList(Math.min(from, list.size()), list.size()));
        }
    }

    public int smppPort() {
        return smsc.port();
    }

    public int httpPort() {
        return http.getAddress().getPort();
    }

    @Override
    public void close() {
        http.stop(0);
        smsc.close();
        mail.stop();
    }

    /** A webhook delivery: the channel of its path, its signature header, when, and its body as sent. */
    private record Hook(String channel, String signature, Instant at, byte[] body) {
    }

    /**
     * The mailbox as an append-only list: GreenMail lists messages per recipient, so its own order changes as mail
     * arrives; here a message keeps the position it had when first seen, and {@code ?from=N} means "after the first N".
     */
    private static final class ArrivalOrder {

        private final GreenMail mail;
        private final List<MimeMessage> ordered = new ArrayList<>();
        private final Set<MimeMessage> seen = Collections.newSetFromMap(new IdentityHashMap<>());

        ArrivalOrder(GreenMail mail) {
            this.mail = mail;
        }

        synchronized List<MimeMessage> messages() {
            for (MimeMessage message : mail.getReceivedMessages()) {
                if (seen.add(message)) {
                    ordered.add(message);
                }
            }
            return List.copyOf(ordered);
        }
    }

    /** The {@code from} query parameter of a listing: how many entries to skip. */
    private static int from(HttpExchange exchange) {
        try {
            return Math.max(0, Integer.parseInt(query(exchange, "from", "0")));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private static String query(HttpExchange exchange, String name, String fallback) {
        String query = exchange.getRequestURI().getQuery();
        if (query != null) {
            for (String pair : query.split("&")) {
                String[] kv = pair.split("=", 2);
                if (kv[0].equals(name) && kv.length == 2) {
                    return kv[1];
                }
            }
        }
        return fallback;
    }

    private static void answer(HttpExchange exchange, int status, byte[] body) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
        exchange.close();
    }
}
