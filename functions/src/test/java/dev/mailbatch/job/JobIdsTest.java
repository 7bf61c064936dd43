package dev.mailbatch.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class JobIdsTest {
    @Test
    void idsAreRandomVersion4UuidsAndRecognised() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 1000; i++) {
            String id = JobIds.next();
            assertThat(JobIds.isWellFormed(id)).as(id).isTrue();
            ids.add(id);
        }
        assertThat(ids).hasSize(1000);
    }

    @Test
    void otherShapesAreNotJobIds() {
        assertThat(JobIds.isWellFormed(null)).isFalse();
        assertThat(JobIds.isWellFormed("")).isFalse();
        assertThat(JobIds.isWellFormed("../../etc/passwd")).isFalse();
        assertThat(JobIds.isWellFormed("6F9619FF-8B86-4011-B42D-00C04FC964FF")).isFalse(); // upper case: not ours
        assertThat(JobIds.isWellFormed("6f9619ff-8b86-1011-b42d-00c04fc964ff")).isFalse(); // version 1
    }
}
