package io.failback.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.jobs.service.Retention;
import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.PostgresTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import org.flywaydb.core.Flyway;
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
 * The schema comes from the Flyway migrations in db/migration (this test's database starts empty), and the retention
 * job deletes processed events and operation requests past their retention (7 and 30 days by default) and keeps the rest.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
class SchemaAndRetentionTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @Inject
    Pool database;

    @Inject
    Retention retention;

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
        assertEquals(List.of("1", "2", "3", "4", "5", "6", "7", "8"), applied);
        List<String> tables = query("select table_name from information_schema.tables where table_schema = 'public'"
                + " and table_name <> 'flyway_schema_history' order by table_name").stream().map(row -> row.getString(0)).toList();
        assertEquals(List.of("audit_record", "fabric_provider", "host_registration_key", "operation_request", "outbox_message", "processed_event",
                "recovery_plan", "replication_job", "replication_protected_item"), tables);
    }

    @Inject
    Flyway flyway;

    /** An installation whose schema Hibernate made before migrations: baselined at V1, then migrated on. */
    @Test
    void aSchemaMadeByHibernateBeforeMigrationsIsBaselinedAtV1AndMigratedOn() throws Exception {
        String server = "jdbc:postgresql://127.0.0.1:" + PostgresTestResource.port() + "/";
        java.util.Properties credentials = new java.util.Properties();
        credentials.setProperty("user", "postgres");
        credentials.setProperty("password", "postgres");
        org.postgresql.Driver driver = new org.postgresql.Driver();
        try (var admin = driver.connect(server + "postgres", credentials); var statement = admin.createStatement()) {
            statement.execute("drop database if exists legacy_schema");
            statement.execute("create database legacy_schema");
        }
        String v1;
        try (var in = SchemaAndRetentionTest.class.getResourceAsStream("/db/migration/V1__initial_schema.sql")) {
            v1 = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        }
        try (var legacy = driver.connect(server + "legacy_schema", credentials); var statement = legacy.createStatement()) {
            statement.execute(v1);
        }

        // job-service's own Flyway settings, on that database.
        Flyway.configure().configuration(flyway.getConfiguration())
                .dataSource(server + "legacy_schema", "postgres", "postgres").load().migrate();

        List<String> history = new ArrayList<>();
        try (var legacy = driver.connect(server + "legacy_schema", credentials); var statement = legacy.createStatement();
                var rows = statement.executeQuery("select version || ' ' || type || ' ' || success from flyway_schema_history"
                        + " order by installed_rank")) {
            while (rows.next()) {
                history.add(rows.getString(1));
            }
        }
        assertEquals(List.of("1 BASELINE true", "2 SQL true", "3 SQL true", "4 SQL true", "5 SQL true", "6 SQL true", "7 SQL true",
                "8 SQL true"),
                history);
    }

    @Test
    void pruningDeletesOldRecordsAndKeepsRecentOnesAndThoseOfRunningJobs() {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String oldEvent = "old-event-" + run;
        String recentEvent = "recent-event-" + run;
        query("insert into processed_event (eventid, processedat) values ($1, $2), ($3, $4)",
                oldEvent, ago(Duration.ofDays(8)), recentEvent, ago(Duration.ofDays(6)));

        // Jobs as the retention sees them: one still running, one ended. Published already, so the feed leaves them be.
        String running = "retention-running-" + run;
        String ended = "retention-ended-" + run;
        query("insert into replication_job (name, state, attempts, version, publishedversion, starttime) values"
                + " ($1, 'InProgress', 0, 0, 0, $3), ($2, 'Succeeded', 0, 0, 0, $3)", running, ended, ago(Duration.ofDays(40)));
        String oldWithoutJob = "old-nojob-" + run;
        String oldOfRunningJob = "old-running-" + run;
        String oldOfEndedJob = "old-ended-" + run;
        String oldOfDeletedJob = "old-gone-" + run;
        String recent = "recent-" + run;
        String insert = "insert into operation_request (requestid, operation, target, fingerprint, jobname, createdat)"
                + " values ($1, 'PlannedFailover', 'vm', 'x', $2, $3)";
        query(insert, oldWithoutJob, null, ago(Duration.ofDays(31)));
        query(insert, oldOfRunningJob, running, ago(Duration.ofDays(31)));
        query(insert, oldOfEndedJob, ended, ago(Duration.ofDays(31)));
        query(insert, oldOfDeletedJob, "no-such-job-" + run, ago(Duration.ofDays(31)));
        query(insert, recent, ended, ago(Duration.ofDays(29)));

        retention.prune(Instant.now()).await().atMost(WAIT);

        assertEquals(List.of(recentEvent), query("select eventid from processed_event where eventid like $1 order by eventid", "%-" + run)
                .stream().map(row -> row.getString(0)).toList());
        assertEquals(List.of(oldOfRunningJob, recent), query("select requestid from operation_request where requestid like $1"
                + " order by requestid", "%-" + run).stream().map(row -> row.getString(0)).toList());
    }
}
