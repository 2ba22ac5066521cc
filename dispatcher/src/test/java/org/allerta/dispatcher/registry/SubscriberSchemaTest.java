package org.allerta.dispatcher.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import java.io.InputStream;
import org.allerta.contracts.Json;
import org.junit.jupiter.api.Test;

/** The published JSON Schema of a registration accepts the canonical example and refuses what the API refuses. */
class SubscriberSchemaTest {

    static JsonSchema schema() throws Exception {
        try (InputStream in = SubscriberSchemaTest.class.getResourceAsStream(
                "/META-INF/resources/schemas/Subscriber.schema.json")) {
            return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(in);
        }
    }

    @Test
    void theCanonicalRegistrationIsValid() throws Exception {
        assertThat(schema().validate(Json.mapper().readTree(RegistryTest.giulia("app-1", "+393331234567"))))
                .isEmpty();
    }

    @Test
    void aDevicesLocaleIsAValidLanguage() throws Exception {
        for (String language : new String[] {"it-IT", "en_GB", "IT", "en"}) {
            String body = RegistryTest.giulia("app-1", "+393331234567")
                    .replace("\"language\": \"it\"", "\"language\": \"" + language + "\"");
            assertThat(schema().validate(Json.mapper().readTree(body))).as(language).isEmpty();
        }
    }

    @Test
    void refusedShapesAreInvalid() throws Exception {
        for (String body : new String[] {
                "{\"name\": \"A\", \"language\": \"de\", \"channels\": [{\"type\": \"SMS\", \"address\": \"+39333\"}],"
                        + " \"places\": [{\"lon\": 8, \"lat\": 44}]}",
                "{\"name\": \"A\", \"language\": \"it\", \"channels\": [], \"places\": [{\"lon\": 8, \"lat\": 44}]}",
                "{\"name\": \"A\", \"language\": \"it\", \"channels\": [{\"type\": \"SMS\", \"address\": \"x\"}],"
                        + " \"places\": [{\"label\": \"no address, no point\"}]}",
                "{\"name\": \"A\", \"language\": \"it\", \"channels\": [{\"type\": \"SMS\", \"address\": \"x\"}],"
                        + " \"places\": [{\"lon\": 8, \"lat\": 44}], \"priority\": {\"medicallyDependent\": true}}",
                // unknown fields inside the quiet hours and the priority, as the API refuses them
                "{\"name\": \"A\", \"language\": \"it\", \"channels\": [{\"type\": \"SMS\", \"address\": \"x\"}],"
                        + " \"places\": [{\"lon\": 8, \"lat\": 44}], \"quietHours\": {\"from\": \"22:00\","
                        + " \"to\": \"07:00\", \"form\": \"21:00\"}}",
                "{\"name\": \"A\", \"language\": \"it\", \"channels\": [{\"type\": \"SMS\", \"address\": \"x\"}],"
                        + " \"places\": [{\"lon\": 8, \"lat\": 44}], \"priority\": {\"medicallyDependant\": true}}"}) {
            assertThat(schema().validate(Json.mapper().readTree(body))).as(body).isNotEmpty();
        }
    }
}
