package org.allerta.service;

import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import net.jpountz.lz4.LZ4Factory;
import org.jboss.logging.Logger;

/**
 * Kafka's LZ4 compression through the library's native code. The Kafka clients ask lz4-java for its fastest
 * implementation, which is the native one only when lz4-java was loaded by the JVM's system class loader or its native
 * library is loaded already; in a Quarkus application neither holds, and every record the service produces was
 * compressed by the plain Java implementation instead (a fifth of the matcher's streaming thread; the native code
 * compresses the same bytes about five times faster, benchmarks.md). Loading the library at start, before any Kafka
 * client exists, makes the clients find it. Where it cannot be loaded (a platform without it, a temporary directory
 * that allows no code) the Java implementation stays, with the same results.
 */
@ApplicationScoped
public class NativeLz4 {

    private static final Logger LOG = Logger.getLogger(NativeLz4.class);

    void onStart(@Observes @Priority(Interceptor.Priority.PLATFORM_BEFORE) StartupEvent event) {
        String used = load();
        LOG.debugf("Kafka's LZ4 compression: %s", used);
    }

    /** Loads the native library if it can; returns which implementation the Kafka clients will use. */
    public static String load() {
        try {
            LZ4Factory.nativeInstance();
            return "native";
        } catch (Throwable e) {
            LOG.infof("Kafka's LZ4 compression uses the Java implementation: the native library could not be loaded"
                    + " (%s)", e.toString());
            return "java";
        }
    }
}
