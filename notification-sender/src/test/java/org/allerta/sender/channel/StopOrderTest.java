package org.allerta.sender.channel;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.runtime.ShutdownEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.event.Observes;
import jakarta.interceptor.Interceptor;
import java.lang.reflect.Method;
import java.lang.reflect.Parameter;
import org.allerta.sender.delivery.Deliveries;
import org.junit.jupiter.api.Test;

/**
 * A graceful stop lets the sends under way finish and records them (Deliveries' stop observer), and only then closes
 * the protocol sessions they use: CDI calls observers of one event in the order of their priority, and an observer
 * without one has the default ({@code APPLICATION + 500}). Closed first, an SMPP session would leave a submission the
 * SMSC had accepted without its answer, sent again after the restart or reported uncertain.
 */
class StopOrderTest {

    @Test
    void theProtocolSessionsCloseAfterTheDeliveriesHaveStopped() throws Exception {
        int deliveries = priority(Deliveries.class);
        assertThat(priority(SmppAdapter.class)).isGreaterThan(deliveries);
        assertThat(priority(SmtpAdapter.class)).isGreaterThan(deliveries);
    }

    /** The priority of the class's observer of the shutdown. */
    private static int priority(Class<?> type) {
        for (Method method : type.getDeclaredMethods()) {
            for (Parameter parameter : method.getParameters()) {
                if (parameter.getType() == ShutdownEvent.class && parameter.isAnnotationPresent(Observes.class)) {
                    Priority priority = parameter.getAnnotation(Priority.class);
                    return priority == null ? Interceptor.Priority.APPLICATION + 500 : priority.value();
                }
            }
        }
        throw new AssertionError(type + " observes no shutdown");
    }
}
