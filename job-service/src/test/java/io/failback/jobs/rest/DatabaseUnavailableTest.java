package io.failback.jobs.rest;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.contracts.site.Problem;
import jakarta.ws.rs.core.Response;
import org.junit.jupiter.api.Test;

/**
 * What a client sees while PostgreSQL is away, in both shapes. (Checked on real processes by killing PostgreSQL under
 * {@code ./failback up}: every request answered this 503 until it came back.)
 */
class DatabaseUnavailableTest {

    @Test
    void apiAnswers503ProblemWithRetryAfter() {
        Response response = ProblemMappers.databaseUnavailable("/api/replicationJobs");

        assertEquals(503, response.getStatus());
        assertEquals(String.valueOf(ProblemMappers.DATABASE_RETRY_AFTER_SECONDS), String.valueOf(response.getHeaders().getFirst("Retry-After")));
        assertEquals(Problem.MEDIA_TYPE, String.valueOf(response.getHeaders().getFirst("Content-Type")));
        Problem problem = (Problem) response.getEntity();
        assertEquals("DatabaseUnavailable", problem.type());
        assertEquals(503, problem.status());
    }

    @Test
    void armAnswers503InArmShapeWithRetryAfter() {
        Response response = ProblemMappers.databaseUnavailable(
                "/subscriptions/s/resourceGroups/g/providers/Microsoft.RecoveryServices/vaults/v/replicationJobs");

        assertEquals(503, response.getStatus());
        assertEquals(String.valueOf(ProblemMappers.DATABASE_RETRY_AFTER_SECONDS), String.valueOf(response.getHeaders().getFirst("Retry-After")));
        assertEquals(true, String.valueOf(response.getEntity()).contains("DatabaseUnavailable"), "ARM error body: " + response.getEntity());
    }
}
