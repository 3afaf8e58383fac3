package io.failback.sync.runs;

import io.failback.sync.messaging.SyncEventPublisher;
import io.failback.sync.sites.SiteClient;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.failback.contracts.messaging.DataSyncOption;
import io.failback.contracts.messaging.FailoverDirection;
import io.failback.contracts.messaging.RecoveryVmCreationOption;
import io.failback.contracts.messaging.SyncCommand;
import io.failback.contracts.messaging.SyncEvent;
import io.failback.contracts.messaging.SyncTask;
import io.smallrye.mutiny.Uni;
import io.vertx.mutiny.core.Vertx;
import io.vertx.mutiny.core.http.HttpServer;
import io.vertx.mutiny.ext.web.client.WebClient;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract between the services on a job's tasks: every run reports exactly the tasks {@link SyncTask#reportedBy}
 * declares for its command, in that order, which are the tasks job-service created the job with
 * ({@link SyncTask#ofJob}). The runs that move no data run here against one stand-in site that says yes to everything;
 * the data runs are held to the same declaration by {@code PlannedFailbackTest} and by {@link CommandRun}'s own check.
 */
class DeclaredTaskOrderTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    private static final SyncCommand.AzureVm AZURE_VM = new SyncCommand.AzureVm("az-vm");

    private static Vertx vertx;
    private static HttpServer site;
    private static WebClient web;

    @BeforeAll
    static void startSite() {
        vertx = Vertx.vertx();
        web = WebClient.create(vertx);
        // No VM exists (GET answers 404); every action succeeds with the status the runs expect of the real sites.
        site = vertx.createHttpServer().requestHandler(request -> {
            switch (request.method().name()) {
                case "GET" -> request.response().setStatusCode(404).endAndForget();
                case "DELETE" -> request.response().setStatusCode(204).endAndForget();
                default -> request.response().setStatusCode(request.path().endsWith("/failover") ? 201 : 200)
                        .putHeader("content-type", "application/json")
                        .endAndForget("{\"name\":\"vm\",\"state\":\"Running\",\"disks\":[]}");
            }
        }).listenAndAwait(0, "127.0.0.1");
    }

    @AfterAll
    static void stopSite() {
        web.close();
        site.closeAndAwait();
        vertx.closeAndAwait();
    }

    static Stream<SyncCommand.Operation> operationsWithoutData() {
        SyncCommand.OnPremisesVm onPremises = new SyncCommand.OnPremisesVm("host-a", siteUrl(), "onprem-vm", "vSwitch");
        return Stream.of(
                new SyncCommand.FailoverCommit(AZURE_VM, onPremises),
                new SyncCommand.FailoverCancel(FailoverDirection.RecoveryToPrimary, AZURE_VM, onPremises),
                new SyncCommand.FailoverCancel(FailoverDirection.PrimaryToRecovery, AZURE_VM, onPremises),
                new SyncCommand.UnplannedFailover(AZURE_VM, null),
                new SyncCommand.UnplannedFailover(AZURE_VM, onPremises),
                new SyncCommand.TestFailover(new SyncCommand.AzureVm("az-vm-test")),
                new SyncCommand.TestFailoverCleanup(new SyncCommand.AzureVm("az-vm-test")),
                new SyncCommand.DisableProtection());
    }

    @ParameterizedTest
    @MethodSource("operationsWithoutData")
    void aRunReportsTheDeclaredTasksInTheDeclaredOrder(SyncCommand.Operation operation) {
        SyncCommand command = SyncCommand.of("cmd", "job", "item", Instant.now(), operation);
        Recorder events = new Recorder();

        runFor(command, events).run().await().atMost(TIMEOUT);

        assertEquals(SyncEvent.Type.SyncSucceeded, events.last().type(), () -> "events: " + events.all);
        assertEquals(SyncTask.reportedBy(command), events.tasksStarted());
        assertEquals(SyncTask.ofJob(operation), events.tasksSucceeded(), "the job's tasks, every one done");
    }

    @Test
    void aForDownTimeFailbacksTwoPhasesTogetherReportTheJobsTasks() {
        SyncCommand.OnPremisesVm onPremises = new SyncCommand.OnPremisesVm("host-a", siteUrl(), "onprem-vm", "vSwitch");
        SyncCommand.PlannedFailover phase1 = new SyncCommand.PlannedFailover(FailoverDirection.RecoveryToPrimary,
                DataSyncOption.ForDownTime, RecoveryVmCreationOption.NoAction, AZURE_VM, onPremises, null, null);
        SyncCommand.PlannedFailover phase2 = new SyncCommand.PlannedFailover(FailoverDirection.RecoveryToPrimary,
                DataSyncOption.ForDownTime, RecoveryVmCreationOption.NoAction, AZURE_VM, onPremises, null,
                new io.failback.contracts.messaging.DeltaCheckpoint("snap", java.util.Map.of()));

        List<SyncTask> both = new ArrayList<>(SyncTask.reportedBy(SyncCommand.of("1", "job", "item", Instant.now(), phase1)));
        both.addAll(SyncTask.reportedBy(SyncCommand.of("2", "job", "item", Instant.now(), phase2)));

        assertEquals(SyncTask.ofJob(phase1), both);
    }

    @Test
    void aRunThatStartsATaskOutOfTheDeclaredOrderFailsInsteadOfReportingIt() {
        SyncCommand command = SyncCommand.of("cmd", "job", "item", Instant.now(), new SyncCommand.FailoverCommit(AZURE_VM,
                new SyncCommand.OnPremisesVm("host-a", siteUrl(), "onprem-vm", "vSwitch")));
        Recorder events = new Recorder();
        CommandRun swapped = new CommandRun(command, events, patience()) {
            @Override
            protected Uni<Outcome> tasks() {
                return task(SyncTask.DeleteAzureVm, () -> Uni.createFrom().voidItem())
                        .chain(() -> task(SyncTask.RetainReplicaInAzure, () -> Uni.createFrom().voidItem()))
                        .replaceWith(Outcome.succeeded(List.of()));
            }
        };

        swapped.run().await().atMost(TIMEOUT);

        assertEquals(List.of(), events.tasksStarted());
        assertEquals(SyncEvent.Type.SyncFailed, events.last().type());
        assertEquals(CommandRun.UNDECLARED_TASKS, events.last().failure().code());
    }

    @Test
    void aRunThatLeavesADeclaredTaskOutFailsInsteadOfSucceeding() {
        SyncCommand command = SyncCommand.of("cmd", "job", "item", Instant.now(), new SyncCommand.FailoverCommit(AZURE_VM,
                new SyncCommand.OnPremisesVm("host-a", siteUrl(), "onprem-vm", "vSwitch")));
        Recorder events = new Recorder();
        CommandRun shortened = new CommandRun(command, events, patience()) {
            @Override
            protected Uni<Outcome> tasks() {
                return task(SyncTask.RetainReplicaInAzure, () -> Uni.createFrom().voidItem()).replaceWith(Outcome.succeeded(List.of()));
            }
        };

        shortened.run().await().atMost(TIMEOUT);

        assertEquals(List.of(SyncTask.RetainReplicaInAzure), events.tasksSucceeded());
        assertEquals(SyncEvent.Type.SyncFailed, events.last().type());
        assertEquals(CommandRun.UNDECLARED_TASKS, events.last().failure().code());
    }

    private static CommandRun runFor(SyncCommand command, SyncEventPublisher publisher) {
        SiteClient client = new SiteClient(web, siteUrl(), "stand-in site");
        if (command.failoverCommit() != null) {
            return new FailoverCommitRun(command, client, client, publisher, patience());
        }
        if (command.failoverCancel() != null) {
            return new FailoverCancelRun(command, client, client, publisher, patience());
        }
        return new RecoveryInAzureRun(command, client, client, publisher, patience());
    }

    /** No site in these tests is ever away. */
    private static Patience patience() {
        return new Patience(vertx.getDelegate(), web, Duration.ofSeconds(1));
    }

    private static String siteUrl() {
        return "http://127.0.0.1:" + site.actualPort();
    }

    /** The events a run publishes, in order; as acknowledged at once as Kafka would. */
    private static final class Recorder extends SyncEventPublisher {
        final List<SyncEvent> all = Collections.synchronizedList(new ArrayList<>());

        Recorder() {
            super(null);
        }

        @Override
        public Uni<Void> publish(SyncEvent event) {
            all.add(event);
            return Uni.createFrom().voidItem();
        }

        SyncEvent last() {
            return all.get(all.size() - 1);
        }

        List<SyncTask> tasksStarted() {
            return all.stream().filter(e -> e.type() == SyncEvent.Type.TaskStarted).map(SyncEvent::task).toList();
        }

        List<SyncTask> tasksSucceeded() {
            return all.stream().filter(e -> e.type() == SyncEvent.Type.TaskSucceeded).map(SyncEvent::task).toList();
        }
    }
}
