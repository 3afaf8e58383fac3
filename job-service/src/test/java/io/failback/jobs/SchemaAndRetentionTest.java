package io.failback.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.PostgresTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * The schema comes from the Flyway migrations in db/migration (this test's database starts empty).
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
class SchemaAndRetentionTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    Pool database;

    private List<Row> query(String sql, Object... parameters) {
        List<Row> rows = new ArrayList<>();
        database.preparedQuery(sql).execute(Tuple.from(Arrays.asList(parameters))).await().atMost(WAIT).forEach(rows::add);
        return rows;
    }

    private static OffsetDateTime ago(Duration age) {
        return OffsetDateTime.ofInstant(Instant.now().minus(age), ZoneOffset.UTC);
    }

    @Test
    void theMigrationsCreatedTheSchema() {
        List<String> applied = query("select version from flyway_schema_history where success and version is not null order by installed_rank")
                .stream().map(row -> row.getString("version")).toList();
        assertEquals(List.of("1", "2"), applied);
        List<String> tables = query("select table_name from information_schema.tables where table_schema = 'public'"
                + " and table_name <> 'flyway_schema_history' order by table_name").stream().map(row -> row.getString(0)).toList();
        assertEquals(List.of("audit_record", "fabric_provider", "operation_request", "outbox_message", "processed_event",
                "recovery_plan", "replication_job", "replication_protected_item"), tables);
    }
}
