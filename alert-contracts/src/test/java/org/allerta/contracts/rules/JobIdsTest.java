package org.allerta.contracts.rules;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.UUID;
import org.allerta.contracts.Change;
import org.allerta.contracts.Channel;
import org.junit.jupiter.api.Test;

class JobIdsTest {

    @Test
    void theSameNoticeAlwaysHasTheSameId() {
        String a = JobIds.notice("ev-1", "sub-1", Change.AFFECTED, 1, Channel.SMS);
        String b = JobIds.notice("ev-1", "sub-1", Change.AFFECTED, 1, Channel.SMS);
        assertThat(a).isEqualTo(b);
        assertThat(UUID.fromString(a).version()).isEqualTo(5);
        assertThat(UUID.fromString(a).variant()).isEqualTo(2);
    }

    @Test
    void everyComponentOfANoticeChangesItsId() {
        var ids = new HashSet<String>();
        ids.add(JobIds.notice("ev-1", "sub-1", Change.AFFECTED, 1, Channel.SMS));
        ids.add(JobIds.notice("ev-2", "sub-1", Change.AFFECTED, 1, Channel.SMS));
        ids.add(JobIds.notice("ev-1", "sub-2", Change.AFFECTED, 1, Channel.SMS));
        ids.add(JobIds.notice("ev-1", "sub-1", Change.RESOLVED, 1, Channel.SMS));
        ids.add(JobIds.notice("ev-1", "sub-1", Change.AFFECTED, 3, Channel.SMS));
        ids.add(JobIds.notice("ev-1", "sub-1", Change.AFFECTED, 1, Channel.EMAIL));
        assertThat(ids).hasSize(6);
    }

    @Test
    void comingBackWithinTheSameRevisionIsANewNoticeAndTheFirstStayKeepsItsId() {
        String first = JobIds.notice("ev-1", "sub-1", Change.AFFECTED, 1, Channel.SMS);
        assertThat(JobIds.notice("ev-1", "sub-1", Change.AFFECTED, 1, Channel.SMS, 1)).isEqualTo(first);
        String second = JobIds.notice("ev-1", "sub-1", Change.AFFECTED, 1, Channel.SMS, 2);
        assertThat(second).isNotEqualTo(first).isEqualTo(JobIds.notice("ev-1", "sub-1", Change.AFFECTED, 1,
                Channel.SMS, 2)).isNotEqualTo(JobIds.notice("ev-1", "sub-1", Change.AFFECTED, 1, Channel.SMS, 3));
        assertThat(UUID.fromString(second).version()).isEqualTo(5);
    }

    @Test
    void comingBackAtALaterRevisionIsANewNotice() {
        assertThat(JobIds.notice("ev-1", "sub-1", Change.AFFECTED, 1, Channel.SMS))
                .isNotEqualTo(JobIds.notice("ev-1", "sub-1", Change.AFFECTED, 4, Channel.SMS));
    }

    @Test
    void fieldsCannotBleedIntoEachOther() {
        assertThat(JobIds.notice("ev-1", "1sub", Change.AFFECTED, 1, Channel.SMS))
                .isNotEqualTo(JobIds.notice("ev-11", "sub", Change.AFFECTED, 1, Channel.SMS));
    }

    @Test
    void verificationCodesAreJobsOfTheirOwn() {
        String first = JobIds.verification("sub-1", "ch-1", 1);
        assertThat(first).isEqualTo(JobIds.verification("sub-1", "ch-1", 1))
                .isNotEqualTo(JobIds.verification("sub-1", "ch-1", 2))
                .isNotEqualTo(JobIds.notice("sub-1", "ch-1", Change.AFFECTED, 1, Channel.SMS));
    }
}
