package org.allerta.service;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.jackson.ObjectMapperCustomizer;
import jakarta.inject.Singleton;

/**
 * How every service reads the JSON bodies bound to records: an enumeration's value only by its name. Jackson would
 * otherwise take a number as a constant's position ({@code "allowedKinds": [6]} granting whichever kind happens to
 * be seventh, and a different one once a kind is added); such a value is refused as any unknown name is.
 */
@Singleton
public class JsonBodies implements ObjectMapperCustomizer {

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.enable(DeserializationFeature.FAIL_ON_NUMBERS_FOR_ENUMS);
    }
}
