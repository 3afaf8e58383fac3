package io.failback.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.failback.testing.KafkaBrokerTestResource;
import io.failback.testing.KafkaTestClient;
import io.failback.testing.PostgresTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Tuple;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.microprofile.config.inject.ConfigProperty;
import org.junit.jupiter.api.Test;

/**
 * Work follows from PostgreSQL's after-commit notifications, not from a timer: the tests' safety net
 * ({@code failback.safety-net-interval}) is ten minutes, so whatever happens here within seconds happened because a
 * notification woke it. The rows are written straight into the database, as another job-service instance (or an
 * operator's SQL) would write them, so no code path of this instance asks for the work.
 */
@QuarkusTest
@WithTestResource(KafkaBrokerTestResource.class)
@WithTestResource(PostgresTestResource.class)
class ChangeNotificationsTest {
    /** Far below the safety net: only a notification gets the work done in time. */
    private static final Duration PROMPTLY = Duration.ofSeconds(10);
    private static final String PROBES = "asr.test.notification-probes";

    @Inject
    Pool database;

    @ConfigProperty(name = "quarkus.http.test-port")
    int port;

    @ConfigProperty(name = "failback.safety-net-interval")
    Duration safetyNet;

    @Test
    void anOutboxMessageWrittenElsewhereIsRelayedOnItsNotification() {
        assertTrue(safetyNet.compareTo(PROMPTLY.multipliedBy(10)) > 0, "the safety net alone cannot pass this test: " + safetyNet);
        String probe = "notification-probe-" + UUID.randomUUID();
        // A topic of its own: the other tests read every sync command as one.
        database.preparedQuery("insert into outbox_message (createdat, messagekey, payload, topic) values (now(), $1, $2, $3)")
                .execute(Tuple.of(probe, "{\"probe\": \"" + probe + "\"}", PROBES)).await().indefinitely();

        KafkaTestClient.awaitRecord(PROBES, record -> probe.equals(record.key()), PROMPTLY);
    }

    @Test
    void aJobChangedElsewhereReachesItsEventStreamOnItsNotificationAndEndsIt() throws Exception {
        assertTrue(safetyNet.compareTo(PROMPTLY.multipliedBy(10)) > 0, "the safety net alone cannot pass this test: " + safetyNet);
        String job = "notified-" + UUID.randomUUID();
        database.preparedQuery("""
                insert into replication_job (name, attempts, version, state, statedescription, scenarioname, starttime, details)
                values ($1, 0, 0, 'InProgress', 'In progress', 'PlannedFailover', now(),
                        '{"tasks": [], "errors": [], "verifications": []}'::jsonb)""")
                .execute(Tuple.of(job)).await().indefinitely();

        AtomicInteger opened = new AtomicInteger();
        CompletableFuture<List<String>> events = HttpClient.newHttpClient().sendAsync(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/api/replicationJobs/" + job + "/events"))
                        .header("Authorization", TestTokens.bearer(TestTokens.reader())).build(),
                HttpResponse.BodyHandlers.ofInputStream()).thenApply(response -> {
                    assertEquals(200, response.statusCode());
                    List<String> data = new ArrayList<>();
                    try (BufferedReader lines = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                        for (String line = lines.readLine(); line != null; line = lines.readLine()) {
                            if (line.startsWith("data:")) {
                                data.add(line.substring(5).trim());
                                opened.incrementAndGet();
                            }
                        }
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    return data;
                });
        // The stream's first event is the job as it is; the change must come after it to prove anything.
        org.awaitility.Awaitility.await().atMost(PROMPTLY).until(() -> opened.get() > 0);

        database.preparedQuery("""
                update replication_job set state = 'Succeeded', statedescription = 'Completed', endtime = now(), version = version + 1
                where name = $1""").execute(Tuple.of(job)).await().indefinitely();

        List<String> received = events.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
        assertTrue(received.get(0).contains("\"state\":\"InProgress\""), received.toString());
        assertTrue(received.get(received.size() - 1).contains("\"state\":\"Succeeded\""), "the stream ends with the final state: " + received);
    }
}
