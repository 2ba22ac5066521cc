package org.allerta.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Runs the project's deploy/local scripts, the same ones {@code ./allerta up} uses. */
public final class Scripts {

    private Scripts() {
    }

    /** The repository root: the {@code allerta.root} system property, or the nearest parent holding ./allerta. */
    static Path root() {
        String property = System.getProperty("allerta.root");
        if (property != null && Files.isExecutable(Path.of(property, "allerta"))) {
            return Path.of(property);
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null) {
            if (Files.isExecutable(dir.resolve("allerta")) && Files.isDirectory(dir.resolve("deploy/local"))) {
                return dir;
            }
            dir = dir.getParent();
        }
        throw new IllegalStateException("cannot find the Allerta repository root from " + Path.of("").toAbsolutePath());
    }

    /** Runs {@code deploy/local/<script> <args>} with extra environment; returns its output, throws on failure. */
    static String run(String script, Map<String, String> env, String... args) {
        Path log = null;
        try {
            var command = new java.util.ArrayList<String>();
            command.add(root().resolve("deploy/local").resolve(script).toString());
            command.addAll(List.of(args));
            log = Files.createTempFile("allerta-" + script, ".log");
            var builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
            builder.environment().putAll(env);
            Process process = builder.start();
            if (!process.waitFor(10, TimeUnit.MINUTES)) {
                process.destroyForcibly();
                throw new IllegalStateException(script + " " + String.join(" ", args) + " timed out");
            }
            String output = Files.readString(log);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(script + " " + String.join(" ", args) + " failed ("
                        + process.exitValue() + "):\n" + output);
            }
            return output;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + script, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + script, e);
        } finally {
            if (log != null) {
                try {
                    Files.deleteIfExists(log);
                } catch (IOException ignored) {
                    // a temporary file
                }
            }
        }
    }

    /** The ports this JVM has handed out, none of them twice. */
    private static final java.util.Set<Integer> HANDED_OUT = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /**
     * A free loopback port, never one this JVM handed out before. A port is handed out before whatever will listen on
     * it has started, so it is taken below Linux's ephemeral range (32768–60999): a port the system picks meanwhile,
     * for another {@code bind(0)} or as an outgoing connection's own, can then never be the same one.
     */
    public static int freePort() {
        var random = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; attempt < 500; attempt++) {
            int port = 20_000 + random.nextInt(12_000);
            if (!HANDED_OUT.add(port)) {
                continue;
            }
            try (var socket = new java.net.ServerSocket()) {
                socket.setReuseAddress(true);
                socket.bind(new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), port), 1);
                return port;
            } catch (IOException taken) {
                // in use: another
            }
        }
        throw new IllegalStateException("no free port between 20000 and 31999");
    }

    /** This JVM's state directory for the infrastructure it starts. */
    static Path stateDir(String name) {
        Path dir = Path.of("target", "allerta-infra", name).toAbsolutePath();
        try {
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot create " + dir, e);
        }
        return dir;
    }
}
