package org.allerta.testsupport;

import java.nio.file.Path;
import java.util.Map;

/**
 * A real Kafka broker (KRaft, its own JVM) for the tests of one JVM, started through {@code deploy/local/kafka.sh}
 * on free ports with an empty log directory, and stopped and removed when the JVM exits. It can be stopped and
 * started again on the same port to test what happens while the broker is away.
 */
public final class LocalKafka {

    private static LocalKafka shared;

    private final Map<String, String> env;
    private final int port;

    private LocalKafka(Path stateDir) {
        this.port = Scripts.freePort();
        int controllerPort = Scripts.freePort();
        this.env = Map.of(
                "ALLERTA_STATE_DIR", stateDir.toString(),
                "ALLERTA_KAFKA_PORT", Integer.toString(port),
                "ALLERTA_KAFKA_CONTROLLER_PORT", Integer.toString(controllerPort),
                "ALLERTA_KAFKA_HEAP", "512m");
        Scripts.run("kafka.sh", env, "clean");
        start();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> Scripts.run("kafka.sh", env, "clean"),
                "allerta-stop-kafka"));
    }

    /** The broker of this JVM, started on first use. */
    public static synchronized LocalKafka shared() {
        if (shared == null) {
            shared = new LocalKafka(Scripts.stateDir("kafka-" + ProcessHandle.current().pid()));
        }
        return shared;
    }

    /** {@code 127.0.0.1:<port>}. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** Starts the broker (again); harmless when it runs. */
    public void start() {
        Scripts.run("kafka.sh", env, "start");
    }

    /** Stops the broker, keeping its data. */
    public void stop() {
        Scripts.run("kafka.sh", env, "stop");
    }
}
