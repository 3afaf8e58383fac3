package io.failback.jobs.rest;

import io.failback.jobs.view.Views;
import io.failback.jobs.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import io.failback.contracts.messaging.OperationRequest;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.view.Views.JobProperties;
import io.failback.jobs.view.Views.Resource;
import io.failback.jobs.messaging.ChangeNotifications;
import io.failback.jobs.service.FailoverService;
import io.failback.jobs.service.JobServiceConfig;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Multi;
import io.smallrye.mutiny.Uni;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Size;
import io.failback.jobs.repository.JobQueries;
import io.failback.jobs.repository.JobQueries.JobCursor;
import io.failback.jobs.repository.JobQueries.JobFilter;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.microprofile.openapi.annotations.Operation;
import org.jboss.resteasy.reactive.RestStreamElementType;

@RolesAllowed(Roles.READER)
@Path("/api/replicationJobs")
public class ReplicationJobsResource {
    private final Vertx vertx;
    private final JobStarts jobStarts;
    private final ChangeNotifications notifications;
    private final JobServiceConfig config;

    ReplicationJobsResource(Vertx vertx, JobStarts jobStarts, ChangeNotifications notifications, JobServiceConfig config) {
        this.jobStarts = jobStarts;
        this.vertx = vertx;
        this.notifications = notifications;
        this.config = config;
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/resume")
    @Operation(summary = "Resume a suspended job: for a ForDownTime failback this is \"Complete Failover\"",
            description = "Shuts the Azure VM down, sends the changes made since the snapshot and starts the VM on-premises.")
    public Uni<Response> resume(@PathParam("name") String name,
            @HeaderParam(ReplicationProtectedItemsResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return jobStarts.start(idempotencyKey, OperationRequest.Operation.ResumeJob, name, null);
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/restart")
    @Operation(summary = "Restart a failed job: its work runs again, skipping what was done; the item must still allow it",
            description = "Answers 202 with the job; 409 unless it failed and its item allows the operation now.")
    public Uni<Response> restart(@PathParam("name") String name,
            @HeaderParam(ReplicationProtectedItemsResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return jobStarts.start(idempotencyKey, OperationRequest.Operation.RestartJob, name, null);
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/cancel")
    @Operation(summary = "Cancel a running or suspended failover or replication job",
            description = "The job ends as Cancelled at once and its block streams stop. On-premises disks being written stay "
                    + "inconsistent (the VM may not boot there); triggering the failover again completes the synchronization.")
    public Uni<Response> cancel(@PathParam("name") String name,
            @HeaderParam(ReplicationProtectedItemsResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return jobStarts.run(idempotencyKey, OperationRequest.Operation.CancelJob, name, null)
                .map(job -> Response.ok(Views.job(job)).build());
    }

    /**
     * Newest first, {@code $top} at a time; {@code nextLink} carries on where the page ended (stable while new jobs
     * start, since they sort before it).
     */
    @GET
    @WithSession
    public Uni<Views.Page<Resource<JobProperties>>> list(@QueryParam("state") JobState state,
            @QueryParam("scenarioName") @Size(max = 64) String scenarioName, @QueryParam("targetObjectId") @Size(max = 64) String targetObjectId,
            @QueryParam("$top") @DefaultValue("100") @Min(1) @Max(1000) int top, @QueryParam("$skipToken") String skipToken) {
        StringBuilder filters = new StringBuilder();
        if (state != null) {
            filters.append("&state=").append(state);
        }
        if (scenarioName != null) {
            filters.append("&scenarioName=").append(java.net.URLEncoder.encode(scenarioName, StandardCharsets.UTF_8));
        }
        if (targetObjectId != null) {
            filters.append("&targetObjectId=").append(java.net.URLEncoder.encode(targetObjectId, StandardCharsets.UTF_8));
        }
        JobFilter filter = new JobFilter(state == null ? null : List.of(state), scenarioName, targetObjectId, null, null);
        return JobQueries.newestFirst(filter, skipToken == null ? null : JobCursor.parse(skipToken), top)
                .map(page -> new Views.Page<>(page.jobs().stream().map(Views::job).toList(),
                        page.next() == null ? null : "/api/replicationJobs?$top=" + top + filters + "&$skipToken=" + page.next().token()));
    }

    @GET
    @Path("/{name}")
    @WithSession
    public Uni<Resource<JobProperties>> get(@PathParam("name") String name) {
        return ReplicationJob.<ReplicationJob>findById(name)
                .onItem().ifNull().failWith(() -> FailoverService.jobNotFound(name))
                .map(Views::job);
    }

    /**
     * The job as Server-Sent Events: its current state at once, then each change (state, tasks, progress) as it
     * happens (the job's row notifies at commit; see {@link ChangeNotifications}); the stream ends after the job
     * reaches a final state.
     * {@code curl -N http://127.0.0.1:8080/api/replicationJobs/{name}/events}
     */
    @GET
    @Path("/{name}/events")
    @Produces(MediaType.SERVER_SENT_EVENTS)
    @RestStreamElementType(MediaType.APPLICATION_JSON)
    @Operation(summary = "Follow a job's progress as a stream of Server-Sent Events, until it ends")
    public Multi<Resource<JobProperties>> events(@PathParam("name") String name) {
        // Reads run on this request's own context, one after the other, as Hibernate Reactive requires.
        Context context = Vertx.currentContext();
        return Multi.createFrom().emitter(emitter -> {
            AtomicReference<Resource<JobProperties>> last = new AtomicReference<>();
            AtomicBoolean reading = new AtomicBoolean();
            AtomicBoolean changedWhileReading = new AtomicBoolean();
            Runnable read = new Runnable() {
                @Override
                public void run() {
                    if (!reading.compareAndSet(false, true)) {
                        changedWhileReading.set(true);
                        return;
                    }
                    changedWhileReading.set(false);
                    Panache.withSession(() -> ReplicationJob.<ReplicationJob>findById(name)).subscribe().with(job -> {
                        reading.set(false);
                        if (job == null) {
                            emitter.fail(FailoverService.jobNotFound(name));
                            return;
                        }
                        Resource<JobProperties> view = Views.job(job);
                        if (!view.equals(last.getAndSet(view))) {
                            emitter.emit(view);
                        }
                        if (job.state.isFinal()) {
                            emitter.complete();
                        } else if (changedWhileReading.get()) {
                            run();
                        }
                    }, failure -> {
                        reading.set(false);
                        emitter.fail(failure);
                    });
                }
            };
            Runnable readOnContext = () -> context.runOnContext(v -> read.run());
            ChangeNotifications.Subscription changes = notifications.listen(ChangeNotifications.JOB, changed -> {
                if (changed.equals(name)) {
                    readOnContext.run();
                }
            });
            ChangeNotifications.Subscription missed = notifications.onListening(readOnContext);
            long safetyNet = vertx.setPeriodic(config.safetyNetInterval().toMillis(), id -> readOnContext.run());
            emitter.onTermination(() -> {
                vertx.cancelTimer(safetyNet);
                changes.close();
                missed.close();
            });
            readOnContext.run();
        });
    }
}
