package org.allerta.matcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import net.jpountz.lz4.LZ4Factory;
import org.allerta.testsupport.RealInfrastructure;
import org.junit.jupiter.api.Test;

/**
 * The records the matcher produces are compressed by lz4-java's native code, which Kafka's clients, asking for the
 * fastest implementation from the application's class loader, would otherwise not find ({@code NativeLz4}).
 */
@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class CompressionTest {

    @Test
    void kafkasLz4CompressionIsTheNativeOne() {
        // loaded by the application's class loader, as the Kafka clients' classes are in the running service
        assertThat(LZ4Factory.class.getClassLoader()).isNotEqualTo(ClassLoader.getSystemClassLoader());
        assertThat(LZ4Factory.fastestInstance()).isSameAs(LZ4Factory.nativeInstance());
    }
}
