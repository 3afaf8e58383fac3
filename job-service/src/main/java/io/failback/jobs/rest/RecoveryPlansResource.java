package io.failback.jobs.rest;

import io.failback.jobs.view.RecoveryPlansView;
import io.failback.jobs.view.Views;
import io.failback.jobs.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import io.failback.contracts.messaging.OperationRequest;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.view.RecoveryPlansView.RecoveryPlanProperties;
import io.failback.jobs.view.Views.Resource;
import io.failback.jobs.service.FailbackEstimator;
import io.failback.jobs.service.ItemOperationRequests;
import io.failback.jobs.service.PlannedFailoverRequest;
import io.failback.jobs.service.RecoveryPlanRequest;
import io.failback.jobs.service.RecoveryPlanService;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.Operation;

@RolesAllowed(Roles.READER)
@Path("/api/replicationRecoveryPlans")
public class RecoveryPlansResource {
    private final RecoveryPlanService plans;
    private final JobStarts jobStarts;
    private final FailbackEstimator estimator;

    RecoveryPlansResource(RecoveryPlanService plans, JobStarts jobStarts, FailbackEstimator estimator) {
        this.plans = plans;
        this.jobStarts = jobStarts;
        this.estimator = estimator;
    }

    /** {@code $top} plans at a time in name order; {@code nextLink} carries the last name seen. */
    @GET
    public Uni<Views.Page<Resource<RecoveryPlanProperties>>> list(
            @QueryParam("$top") @DefaultValue("100") @Min(1) @Max(1000) int top, @QueryParam("$skipToken") String skipToken) {
        return plans.list(skipToken == null ? "" : afterName(skipToken), top + 1).map(overviews -> {
            List<RecoveryPlanService.Overview> page = overviews.size() > top ? overviews.subList(0, top) : overviews;
            String next = overviews.size() > top ? "/api/replicationRecoveryPlans?$top=" + top + "&$skipToken=" + Base64.getUrlEncoder()
                    .withoutPadding().encodeToString(page.get(page.size() - 1).plan().name.getBytes(StandardCharsets.UTF_8)) : null;
            return new Views.Page<>(page.stream().map(RecoveryPlansView::plan).toList(), next);
        });
    }

    private static String afterName(String skipToken) {
        try {
            return new String(Base64.getUrlDecoder().decode(skipToken), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw ProblemException.badRequest("InvalidSkipToken", "$skipToken is not one this API handed out");
        }
    }

    @GET
    @Path("/{name}")
    public Uni<Resource<RecoveryPlanProperties>> get(@PathParam("name") String name) {
        return plans.find(name).map(RecoveryPlansView::plan);
    }

    @GET
    @Path("/{name}/failbackEstimate")
    @Operation(summary = "How long the plan's failback would take with each data-sync option, group by group, and the longest any "
            + "of its VMs would be down", description = "From its items' Azure VMs and their hosts' links, as each item's estimate; "
            + "a group's items share their hosts' links.")
    public Uni<FailbackEstimator.PlanEstimate> failbackEstimate(@PathParam("name") String name) {
        return estimator.estimatePlan(name);
    }

    @PUT
    @RolesAllowed(Roles.CONTRIBUTOR)
    @Path("/{name}")
    @Operation(summary = "Create or replace a recovery plan: ordered groups of protected items with start and end actions",
            description = "Groups run Shutdown, Failover, then Boot groups in order; only Boot groups hold items, which run in "
                    + "parallel within their group. 201 when created, 200 when replaced; 409 while the plan's job runs.")
    public Uni<Response> save(@PathParam("name") @Pattern(regexp = ReplicationProtectedItemsResource.NAME,
            message = "must be 1-64 letters, digits, '.', '_' or '-'") String name, @Valid @NotNull RecoveryPlanRequest request) {
        return plans.save(name, request).map(saved -> saved.created()
                ? Response.created(URI.create("/api/replicationRecoveryPlans/" + name)).entity(RecoveryPlansView.plan(saved.overview())).build()
                : Response.ok(RecoveryPlansView.plan(saved.overview())).build());
    }

    @DELETE
    @RolesAllowed(Roles.CONTRIBUTOR)
    @Path("/{name}")
    @Operation(summary = "Delete a recovery plan (its items and jobs stay); 409 while its job runs")
    public Uni<Response> delete(@PathParam("name") String name) {
        return plans.delete(name).map(deleted -> Response.noContent().build());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/plannedFailover")
    @Operation(summary = "Planned failover of every item of the plan, as one job; RecoveryToPrimary is the failback",
            description = "Same body as an item's plannedFailover. With ForDownTime every item's snapshot synchronizes at once, then "
                    + "the job suspends; Resume completes the groups in order. Answers 202 with the job.")
    public Uni<Response> plannedFailover(@PathParam("name") String name,
            @HeaderParam(ReplicationProtectedItemsResource.IDEMPOTENCY_KEY) String idempotencyKey,
            @Valid @NotNull PlannedFailoverRequest request) {
        return jobStarts.start(idempotencyKey, OperationRequest.Operation.RecoveryPlanPlannedFailover, name, request.properties());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/unplannedFailover")
    @Operation(summary = "Unplanned failover of every item to Azure, from each one's latest recovery point, group by group, as one job",
            description = "Same body as an item's unplannedFailover. Answers 202 with the job.")
    public Uni<Response> unplannedFailover(@PathParam("name") String name,
            @HeaderParam(ReplicationProtectedItemsResource.IDEMPOTENCY_KEY) String idempotencyKey,
            @Valid @NotNull ItemOperationRequests.UnplannedFailover request) {
        return jobStarts.start(idempotencyKey, OperationRequest.Operation.RecoveryPlanUnplannedFailover, name, request.properties());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/testFailover")
    @Operation(summary = "Test failover of every item: test VMs in Azure from the latest recovery points, group by group, as one job")
    public Uni<Response> testFailover(@PathParam("name") String name,
            @HeaderParam(ReplicationProtectedItemsResource.IDEMPOTENCY_KEY) String idempotencyKey,
            @Valid @NotNull ItemOperationRequests.TestFailover request) {
        return jobStarts.start(idempotencyKey, OperationRequest.Operation.RecoveryPlanTestFailover, name, request.properties());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/testFailoverCleanup")
    @Operation(summary = "Delete every item's test VM, as one job")
    public Uni<Response> testFailoverCleanup(@PathParam("name") String name,
            @HeaderParam(ReplicationProtectedItemsResource.IDEMPOTENCY_KEY) String idempotencyKey,
            @Valid ItemOperationRequests.TestFailoverCleanup request) {
        return jobStarts.start(idempotencyKey, OperationRequest.Operation.RecoveryPlanTestFailoverCleanup, name, request == null ? null : request.properties());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/failoverCommit")
    @Operation(summary = "Commit every item of the plan, group by group, as one job; answers 202 with the job")
    public Uni<Response> failoverCommit(@PathParam("name") String name,
            @HeaderParam(ReplicationProtectedItemsResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return jobStarts.start(idempotencyKey, OperationRequest.Operation.RecoveryPlanFailoverCommit, name, null);
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/reprotect")
    @Operation(summary = "Reverse Replicate every item of the plan, group by group, as one job; answers 202 with the job")
    public Uni<Response> reprotect(@PathParam("name") String name,
            @HeaderParam(ReplicationProtectedItemsResource.IDEMPOTENCY_KEY) String idempotencyKey) {
        return jobStarts.start(idempotencyKey, OperationRequest.Operation.RecoveryPlanReprotect, name, null);
    }
}
