package org.allerta.dispatcher;

import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.allerta.testsupport.ReadinessSmokeTest;
import org.allerta.testsupport.RealInfrastructure;

@QuarkusTest
@WithTestResource(RealInfrastructure.class)
class DispatcherReadinessTest extends ReadinessSmokeTest {

    @Override
    protected boolean readinessRequiresBroker() {
        return true;
    }
}
