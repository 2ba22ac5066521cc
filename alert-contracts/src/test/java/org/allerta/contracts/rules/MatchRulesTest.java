package org.allerta.contracts.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.allerta.contracts.Change;
import org.allerta.contracts.EventStatus;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class MatchRulesTest {

    @ParameterizedTest(name = "was={0} is={1} {2} material={3} -> {4}")
    @CsvSource(nullValues = "-", value = {
            // active: rules 1, 2, 3, 5
            "false, true,  ACTIVE,    false, AFFECTED",
            "false, true,  ACTIVE,    true,  AFFECTED",
            "true,  true,  ACTIVE,    true,  UPDATED",
            "true,  true,  ACTIVE,    false, -",
            "true,  false, ACTIVE,    true,  NO_LONGER_AFFECTED",
            "true,  false, ACTIVE,    false, NO_LONGER_AFFECTED",
            "false, false, ACTIVE,    true,  -",
            "false, false, ACTIVE,    false, -",
            // ended: rule 4
            "true,  true,  RESOLVED,  false, RESOLVED",
            "true,  false, RESOLVED,  false, RESOLVED",
            "false, true,  RESOLVED,  true,  -",
            "false, false, RESOLVED,  false, -",
            "true,  true,  CANCELLED, true,  RESOLVED",
            "true,  false, CANCELLED, false, RESOLVED",
            "false, true,  CANCELLED, false, -",
            "false, false, CANCELLED, true,  -",
    })
    void emitsTheChangeOfTheLifecycleTable(boolean was, boolean is, EventStatus status, boolean material,
                                           Change expected) {
        assertThat(MatchRules.change(was, is, status, material)).isEqualTo(Optional.ofNullable(expected));
    }
}
