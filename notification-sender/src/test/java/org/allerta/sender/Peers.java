package org.allerta.sender;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import com.sun.net.httpserver.HttpServer;
import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Real protocol peers on loopback for the sender's tests: the SMSC simulator of local-peers (SMPP), a GreenMail SMTP
 * server whose mailbox the tests read, and an HTTP endpoint standing for a push provider, which can be told to
 * throttle (429) or refuse (400).
 */
public class Peers implements QuarkusTestResourceLifecycleManager {

    public static final String PUSH_SECRET = "test-push-secret";

    /** A request the webhook peer received. */
    public record Hook(String signature, String idempotencyKey, byte[] body) {
    }

    public static volatile GreenMail mail;
    public static volatile org.allerta.peers.Smsc smsc;
    public static final List<Hook> HOOKS = new CopyOnWriteArrayList<>();
    /** How many of the next requests to answer with 429. */
    public static final AtomicInteger THROTTLE = new AtomicInteger();
    /** Answer requests whose body contains this text with 400. */
    public static volatile String refuse = "\u0000";
    /** Requests whose body contains {@code text} are answered {@code status}, {@code left} times. */
    public record Trouble(String text, int status, AtomicInteger left) {
    }

    public static final List<Trouble> TROUBLES = new CopyOnWriteArrayList<>();

    /** Push requests being answered at this moment, and the most there have been at once. */
    public static final AtomicInteger AT_ONCE = new AtomicInteger();
    public static final AtomicInteger MOST_AT_ONCE = new AtomicInteger();

    /** The id the next accepted requests are given, instead of {@code prov-<n>}. */
    public static volatile String answerId;
    private HttpServer http;

    @Override
    public Map<String, String> start() {
        int smtp = org.allerta.testsupport.Scripts.freePort();
        mail = new GreenMail(new ServerSetup(smtp, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
        mail.start();
        try {
            smsc = org.allerta.peers.Smsc.start(0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        try {
            http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        // several requests at once, as a provider takes them
        http.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(8, r -> {
            Thread thread = new Thread(r, "test-push-peer");
            thread.setDaemon(true);
            return thread;
        }));
        http.createContext("/push", exchange -> {
            MOST_AT_ONCE.accumulateAndGet(AT_ONCE.incrementAndGet(), Math::max);
            try {
                answerPush(exchange);
            } finally {
                AT_ONCE.decrementAndGet();
            }
        });
        // WhatsApp goes to the same peer, delivered at most once
        http.createContext("/whatsapp", Peers::answerPush);
        // Telegram too, limited to four messages a second
        http.createContext("/telegram", Peers::answerPush);
        http.start();
        var config = new java.util.HashMap<String, String>();
        config.put("allerta.sender.webhook.whatsapp.url", "http://127.0.0.1:" + http.getAddress().getPort()
                + "/whatsapp");
        config.put("allerta.sender.webhook.whatsapp.secret", PUSH_SECRET);
        config.put("allerta.sender.whatsapp.delivery", "at-most-once");
        config.put("allerta.sender.webhook.telegram.url", "http://127.0.0.1:" + http.getAddress().getPort()
                + "/telegram");
        config.put("allerta.sender.webhook.telegram.secret", PUSH_SECRET);
        config.put("allerta.sender.telegram.rate", "4");
        config.putAll(Map.of(
                "allerta.sender.smpp.enabled", "true",
                "allerta.sender.smpp.port", Integer.toString(smsc.port()),
                // SMS is delivered at most once in these tests, the other channels at least once (the default)
                "allerta.sender.sms.delivery", "at-most-once",
                "allerta.sender.smtp.enabled", "true",
                "allerta.sender.smtp.port", Integer.toString(smtp),
                "allerta.sender.webhook.push.url", "http://127.0.0.1:" + http.getAddress().getPort() + "/push",
                "allerta.sender.webhook.push.secret", PUSH_SECRET,
                // push goes through a provider account that takes one request at a time
                "allerta.sender.push.account", "hooks",
                "allerta.sender.account.hooks.concurrency", "1",
                // a batch may take 12 s, so it is read again after 9 s spent on it (its budget, three quarters)
                "allerta.sender.longest-batch", "12s"));
        return config;
    }

    private static void answerPush(com.sun.net.httpserver.HttpExchange exchange) throws IOException {
        {
            byte[] body = exchange.getRequestBody().readAllBytes();
            int status = 0;
            String text = new String(body, java.nio.charset.StandardCharsets.UTF_8);
            if (text.contains("SILENT-")) {
                // taken, and no answer before the sender's request timeout (5 s in tests, 15 s by default)
                HOOKS.add(new Hook(exchange.getRequestHeaders().getFirst("X-Allerta-Signature"),
                        exchange.getRequestHeaders().getFirst("Idempotency-Key"), body));
                try {
                    Thread.sleep(7_000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                exchange.close();
                return;
            }
            if (text.contains("HOLD-")) {
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            for (Trouble trouble : TROUBLES) {
                if (status == 0 && text.contains(trouble.text())
                        && trouble.left().getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    status = trouble.status();
                }
            }
            if (status != 0) {
                // answered by the trouble above
            } else if (THROTTLE.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                status = 429;
            } else if (new String(body).contains(refuse)) {
                status = 400;
            } else {
                HOOKS.add(new Hook(exchange.getRequestHeaders().getFirst("X-Allerta-Signature"),
                        exchange.getRequestHeaders().getFirst("Idempotency-Key"), body));
                status = 200;
            }
            String id = answerId != null ? answerId : "prov-" + HOOKS.size();
            byte[] answer = status == 200 ? ("{\"id\":\"" + id + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8)
                    : new byte[0];
            exchange.sendResponseHeaders(status, answer.length == 0 ? -1 : answer.length);
            if (answer.length > 0) {
                exchange.getResponseBody().write(answer);
            }
            exchange.close();
        }
    }

    @Override
    public void stop() {
        if (mail != null) {
            mail.stop();
        }
        if (smsc != null) {
            smsc.close();
        }
        if (http != null) {
            http.stop(0);
        }
    }

}
