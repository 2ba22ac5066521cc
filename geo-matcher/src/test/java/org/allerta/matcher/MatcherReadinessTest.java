package org.allerta.matcher;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.allerta.testsupport.ReadinessSmokeTest;
import org.allerta.testsupport.RealInfrastructure;

@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class MatcherReadinessTest extends ReadinessSmokeTest {

    @Override
    protected boolean readinessRequiresBroker() {
        return true;
    }
}
