package org.allerta.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.smallrye.config.PropertiesConfigSource;
import io.smallrye.config.SmallRyeConfigBuilder;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

/** SASL and TLS settings given as environment variables reach every Kafka client a service makes. */
class KafkaSecuritySettingsTest {

    @Test
    void saslAndTlsFromTheEnvironmentReachTheClientsAsKafkaNamesThem() {
        var config = new SmallRyeConfigBuilder().withSources(new PropertiesConfigSource(Map.of(
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required"
                        + " username=\"allerta\" password=\"from-the-secret-store\";",
                "KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/allerta/kafka-ca.p12",
                "KAFKA_SSL_TRUSTSTORE_TYPE", "PKCS12",
                "kafka.ssl.endpoint.identification.algorithm", "https",
                "KAFKA_DEVSERVICES_ENABLED", "false",
                // set for Kafka's own scripts, not a client's settings
                "KAFKA_HEAP_OPTS", "-Xmx1g", "KAFKA_OPTS", "-Dx=y",
                // a consumer's own setting still passes: reading from the nearest replica
                "KAFKA_CLIENT_RACK", "zone-b"), "environment", 300)).build();
        BrokerProbe probe = new BrokerProbe(config);
        probe.bootstrapServers = "kafka-1.example.org:9093";

        Map<String, Object> client = probe.clientConfig();

        assertThat(client).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                .containsEntry("ssl.truststore.location", "/etc/allerta/kafka-ca.p12")
                .containsEntry("ssl.truststore.type", "PKCS12")
                .containsEntry("ssl.endpoint.identification.algorithm", "https")
                .containsEntry("bootstrap.servers", "kafka-1.example.org:9093")
                .containsEntry("client.rack", "zone-b")
                .doesNotContainKey("devservices.enabled").doesNotContainKey("heap.opts").doesNotContainKey("opts");
        assertThat((String) client.get("sasl.jaas.config")).contains("password=\"from-the-secret-store\"");
        // every name is one the admin, producer or consumer clients know
        for (String name : client.keySet()) {
            assertThat(AdminClientConfig.configNames().contains(name) || ProducerConfig.configNames().contains(name)
                    || ConsumerConfig.configNames().contains(name)).as("client setting " + name).isTrue();
        }
    }
}
