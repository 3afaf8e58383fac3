package io.failback.jobs.rest;

import io.failback.jobs.repository.ItemQueries;
import io.failback.jobs.view.Views;
import io.failback.jobs.security.Roles;
import jakarta.annotation.security.RolesAllowed;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.failback.jobs.view.Views.ItemProperties;
import io.failback.jobs.view.Views.Resource;
import io.failback.contracts.messaging.OperationRequest;
import io.failback.jobs.service.FailbackEstimator;
import io.failback.jobs.service.FailoverService;
import io.failback.jobs.service.ItemOperationRequests;
import io.failback.jobs.service.PlannedFailoverRequest;
import io.failback.jobs.service.RegisterItemRequest;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.ws.rs.DefaultValue;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.QueryParam;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.net.URI;

import org.eclipse.microprofile.openapi.annotations.Operation;

@RolesAllowed(Roles.READER)
@Path("/api/replicationProtectedItems")
public class ReplicationProtectedItemsResource {
    static final String NAME = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

    /** Names the request: the same key again (a retried POST) answers the job the first one started. */
    static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    private final FailbackEstimator estimator;
    private final JobStarts jobStarts;

    ReplicationProtectedItemsResource(FailbackEstimator estimator, JobStarts jobStarts) {
        this.estimator = estimator;
        this.jobStarts = jobStarts;
    }

    @GET
    @WithSession
    public Uni<Views.Page<Resource<ItemProperties>>> list(
            @QueryParam("$top") @DefaultValue("100") @Min(1) @Max(1000) int top, @QueryParam("$skipToken") String skipToken) {
        String after = skipToken == null ? "" : afterName(skipToken);
        return ItemQueries.inNameOrder(after, top).map(page -> {
            String next = page.more() ? "/api/replicationProtectedItems?$top=" + top + "&$skipToken="
                    + Base64.getUrlEncoder().withoutPadding().encodeToString(page.lastName().getBytes(StandardCharsets.UTF_8)) : null;
            return new Views.Page<>(page.items().stream().map(Views::item).toList(), next);
        });
    }

    private static String afterName(String skipToken) {
        try {
            return new String(Base64.getUrlDecoder().decode(skipToken), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw io.failback.contracts.site.ProblemException.badRequest("InvalidSkipToken", "$skipToken is not one this API handed out");
        }
    }

    @GET
    @Path("/{name}")
    @WithSession
    public Uni<Resource<ItemProperties>> get(@PathParam("name") String name) {
        return ReplicationProtectedItem.<ReplicationProtectedItem>findById(name)
                .onItem().ifNull().failWith(() -> FailoverService.itemNotFound(name))
                .map(Views::item);
    }

    @GET
    @Path("/{name}/failbackEstimate")
    @Operation(summary = "How long a failback would take with each data-sync option, and how long the VM would be down",
            description = "From the Azure VM's disks and write rate, and this installation's throughput in its last failbacks.")
    public Uni<FailbackEstimator.Estimate> failbackEstimate(@PathParam("name") String name) {
        return estimator.estimate(name);
    }

    @PUT
    @RolesAllowed(Roles.CONTRIBUTOR)
    @Path("/{name}")
    @Operation(summary = "Enable protection of an on-premises VM (activeLocation Primary: starts initial replication), "
            + "or register a VM running in Azure after a committed failover (Recovery), so that it can fail back")
    public Uni<Response> register(@PathParam("name") @Pattern(regexp = NAME, message = "must be 1-64 letters, digits, '.', '_' or '-'") String name,
            @Valid @NotNull RegisterItemRequest request) {
        // Through Operations, as every other change: the EnableProtection job names its caller.
        return jobStarts.run(null, OperationRequest.Operation.EnableProtection, name, request.properties())
                .chain(job -> Panache.withSession(() -> ReplicationProtectedItem.<ReplicationProtectedItem>findById(name)))
                .map(item -> Response.created(URI.create("/api/replicationProtectedItems/" + name)).entity(Views.item(item)).build());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/plannedFailover")
    @Operation(summary = "Planned failover; with failoverDirection RecoveryToPrimary it is a failback from Azure",
            description = "Answers 202 with the job; follow it at the Location header.")
    public Uni<Response> plannedFailover(@PathParam("name") String name, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
            @Valid @NotNull PlannedFailoverRequest request) {
        return start(idempotencyKey, OperationRequest.Operation.PlannedFailover, name, request.properties());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/unplannedFailover")
    @Operation(summary = "Unplanned failover to Azure from the latest recovery point, without replicating first (the on-premises "
            + "site may be lost); refused in the failback direction (RecoveryToPrimary), which must lose no data",
            description = "sourceSiteOperations Required shuts the on-premises VM down first. Answers 202 with the job.")
    public Uni<Response> unplannedFailover(@PathParam("name") String name, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
            @Valid @NotNull ItemOperationRequests.UnplannedFailover request) {
        return start(idempotencyKey, OperationRequest.Operation.UnplannedFailover, name, request.properties());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/testFailover")
    @Operation(summary = "Test failover: a test VM ('<vm>-test') starts in Azure from the latest recovery point while protection goes on",
            description = "Answers 202 with the job. Clean up with testFailoverCleanup.")
    public Uni<Response> testFailover(@PathParam("name") String name, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
            @Valid @NotNull ItemOperationRequests.TestFailover request) {
        return start(idempotencyKey, OperationRequest.Operation.TestFailover, name, request.properties());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/testFailoverCleanup")
    @Operation(summary = "Delete the test failover's VM and its disks; the comments stay on the item")
    public Uni<Response> testFailoverCleanup(@PathParam("name") String name, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
            @Valid ItemOperationRequests.TestFailoverCleanup request) {
        return start(idempotencyKey, OperationRequest.Operation.TestFailoverCleanup, name, request == null ? null : request.properties());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/repairReplication")
    @Operation(summary = "Resynchronize an unhealthy replication: compare every block with the replica's and send those that differ")
    public Uni<Response> repairReplication(@PathParam("name") String name, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return start(idempotencyKey, OperationRequest.Operation.RepairReplication, name, null);
    }

    @POST
    @RolesAllowed(Roles.CONTRIBUTOR)
    @Path("/{name}/remove")
    @Operation(summary = "Disable protection: delete the replica in Azure, then the item; the VM keeps running where it runs")
    public Uni<Response> disableProtection(@PathParam("name") String name, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey,
            @Valid ItemOperationRequests.DisableProtection request) {
        return start(idempotencyKey, OperationRequest.Operation.DisableProtection, name, request == null ? null : request.properties());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/failoverCommit")
    @Operation(summary = "Commit the failover; after failback this deletes the Azure VM and its disks",
            description = "Answers 202 with the job; follow it at the Location header.")
    public Uni<Response> failoverCommit(@PathParam("name") String name, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return start(idempotencyKey, OperationRequest.Operation.FailoverCommit, name, null);
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/failoverCancel")
    @Operation(summary = "Cancel a failover that is not committed: the VM runs again where it ran before",
            description = "Answers 202 with the job; follow it at the Location header.")
    public Uni<Response> failoverCancel(@PathParam("name") String name, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return start(idempotencyKey, OperationRequest.Operation.FailoverCancel, name, null);
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{name}/reprotect")
    @Operation(summary = "Reverse Replicate: protect the on-premises VM again, sending only what changed since the failback",
            description = "Answers 202 with the job; follow it at the Location header.")
    public Uni<Response> reprotect(@PathParam("name") String name, @HeaderParam(IDEMPOTENCY_KEY) String idempotencyKey) {
        return start(idempotencyKey, OperationRequest.Operation.Reprotect, name, null);
    }

    private Uni<Response> start(String idempotencyKey, OperationRequest.Operation operation, String name, Object properties) {
        return jobStarts.start(idempotencyKey, operation, name, properties);
    }
}
