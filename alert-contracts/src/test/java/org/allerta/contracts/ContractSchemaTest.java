package org.allerta.contracts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import java.io.InputStream;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ContractSchemaTest {

    private static final JsonSchemaFactory FACTORY = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);

    static JsonSchema schemaOf(Class<?> type) {
        InputStream in = ContractSchemaTest.class.getResourceAsStream("/schemas/" + type.getSimpleName() + ".schema.json");
        assertThat(in).as("schema of " + type.getSimpleName()).isNotNull();
        var config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        return FACTORY.getSchema(in, config);
    }

    static Stream<Object> records() {
        return Samples.everyRecord().stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("records")
    void serialisesToJsonItsSchemaAcceptsAndBack(Object record) throws Exception {
        byte[] json = Json.toBytes(record);
        JsonNode tree = Json.mapper().readTree(json);

        assertThat(schemaOf(record.getClass()).validate(tree)).as(tree.toPrettyString()).isEmpty();
        assertThat(Json.fromBytes(json, record.getClass())).isEqualTo(record);
    }

    @Test
    void everyTopicValueTypeHasASchemaAndASample() {
        Set<String> sampled = Samples.everyRecord().stream().map(r -> r.getClass().getSimpleName())
                .collect(java.util.stream.Collectors.toSet());
        Topics.ALL.stream().map(Topics.TopicSpec::value).filter(v -> !v.contains(" ")).forEach(value -> {
            assertThat(sampled).as("sample of " + value).contains(value);
            assertThat(ContractSchemaTest.class.getResource("/schemas/" + value + ".schema.json"))
                    .as("schema of " + value).isNotNull();
        });
    }

    /** The first sample of this type. */
    private static Object sample(Class<?> type) {
        return Samples.everyRecord().stream().filter(type::isInstance).findFirst().orElseThrow();
    }

    @Test
    void schemasRejectWhatTheContractForbids() throws Exception {
        ObjectNode match = (ObjectNode) Json.mapper().readTree(Json.toBytes(sample(MatchChange.class)));
        match.put("change", "MAYBE");
        assertThat(schemaOf(MatchChange.class).validate(match)).isNotEmpty();

        ObjectNode places = (ObjectNode) Json.mapper().readTree(Json.toBytes(sample(SubscriberPlaces.class)));
        places.put("name", "Giulia Rossi");
        assertThat(schemaOf(SubscriberPlaces.class).validate(places)).as("no names on subscribers.places").isNotEmpty();

        ObjectNode event = (ObjectNode) Json.mapper().readTree(Json.toBytes(Samples.anOutage().build()));
        event.withObject("/area").put("type", "Point");
        assertThat(schemaOf(AlertEvent.class).validate(event)).isNotEmpty();

        ObjectNode dead = (ObjectNode) Json.mapper().readTree(Json.toBytes(sample(DeadLetter.class)));
        assertThat(schemaOf(DeadLetter.class).validate(dead)).as("the sample itself").isEmpty();
        dead.withObject("/headers").put("Authorization", "Bearer x");
        assertThat(schemaOf(DeadLetter.class).validate(dead)).as("no credentials in dead letters").isNotEmpty();
    }

    @Test
    void readingGarbageFailsWithAClearError() {
        assertThatThrownBy(() -> Json.fromBytes("{\"eventId\":".getBytes(), AlertEvent.class))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("AlertEvent");
        assertThatThrownBy(() -> Json.fromBytes("{\"eventId\":\"e\",\"revision\":0}".getBytes(), AlertEvent.class))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
