package io.failback.jobs.arm;

import io.failback.contracts.messaging.OperationRequest.Operation;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.arm.ArmViews.ArmPage;
import io.failback.jobs.arm.ArmViews.ArmResource;
import io.failback.jobs.arm.ArmViews.PlanProperties;
import io.failback.jobs.domain.RecoveryPlan;
import io.failback.jobs.rest.JobStarts;
import io.failback.jobs.security.Roles;
import io.failback.jobs.service.RecoveryPlanService;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.util.List;

/**
 * Recovery plans under ARM's {@code P/replicationRecoveryPlans}. PUT and DELETE start no job and answer at once
 * (201 created, 200 replaced, 204 deleted or absent); each failover operation is one plan job and a long-running
 * operation. All of them run through the same service path as {@code /api}.
 */
@RolesAllowed(Roles.READER)
@Path(ArmPaths.VAULT + "/" + ArmPaths.PLANS)
public class ArmRecoveryPlansResource {
    private static final String NAME = "[A-Za-z0-9][A-Za-z0-9._-]{0,63}";

    private final ArmConfig config;
    private final ArmOperations operations;
    private final JobStarts jobStarts;
    private final RecoveryPlanService plans;

    public ArmRecoveryPlansResource(ArmConfig config, ArmOperations operations, JobStarts jobStarts, RecoveryPlanService plans) {
        this.config = config;
        this.operations = operations;
        this.jobStarts = jobStarts;
        this.plans = plans;
    }

    @GET
    public Uni<ArmPage<ArmResource<PlanProperties>>> list(@BeanParam VaultScope vault) {
        int pageSize = config.pageSize();
        return plans.list(Paging.after(vault.query(Paging.SKIP_TOKEN)), pageSize + 1).map(overviews -> {
            List<RecoveryPlanService.Overview> page = overviews.size() > pageSize ? overviews.subList(0, pageSize) : overviews;
            String next = overviews.size() > pageSize ? Paging.nextLink(vault, page.get(page.size() - 1).plan().name) : null;
            return new ArmPage<>(page.stream().map(overview -> ArmViews.plan(vault, overview)).toList(), next);
        });
    }

    @GET
    @Path("/{recoveryPlanName}")
    public Uni<ArmResource<PlanProperties>> get(@BeanParam VaultScope vault, @PathParam("recoveryPlanName") String name) {
        return plans.find(name).map(overview -> ArmViews.plan(vault, overview));
    }

    /** CreateRecoveryPlanInput; the groups' items are named by their ARM ids. 409 while the plan's job runs. */
    @PUT
    @RolesAllowed(Roles.CONTRIBUTOR)
    @Path("/{recoveryPlanName}")
    public Uni<Response> put(@BeanParam VaultScope vault,
            @PathParam("recoveryPlanName") @Pattern(regexp = NAME, message = "must be 1-64 letters, digits, '.', '_' or '-'") String name,
            @HeaderParam(ArmOperations.CLIENT_REQUEST_ID) String clientRequestId, @Valid @NotNull ArmInputs.CreateRecoveryPlanInput input) {
        String requestId = operations.operationId(clientRequestId);
        return Panache.withSession(() -> RecoveryPlan.<RecoveryPlan>findById(name)).chain(existing -> jobStarts
                .run(requestId, Operation.PutRecoveryPlan, name, input.toService(existing == null ? name : existing.friendlyName))
                .chain(none -> plans.find(name))
                .map(overview -> Response.status(existing == null ? 201 : 200).entity(ArmViews.plan(vault, overview)).build()));
    }

    /** 204 also when there is no such plan, as ARM deletes are; 409 while the plan's job runs. */
    @DELETE
    @RolesAllowed(Roles.CONTRIBUTOR)
    @Path("/{recoveryPlanName}")
    public Uni<Response> delete(@BeanParam VaultScope vault, @PathParam("recoveryPlanName") String name,
            @HeaderParam(ArmOperations.CLIENT_REQUEST_ID) String clientRequestId) {
        return jobStarts.run(operations.operationId(clientRequestId), Operation.DeleteRecoveryPlan, name, null)
                .map(none -> Response.noContent().build())
                .onFailure(failure -> failure instanceof ProblemException problem && problem.status() == 404)
                .recoverWithItem(Response.noContent().build());
    }

    /** RecoveryPlanPlannedFailoverInput: RecoveryToPrimary with HyperVReplicaAzureFailback details fails the plan back. */
    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{recoveryPlanName}/plannedFailover")
    public Uni<Response> plannedFailover(@BeanParam VaultScope vault, @PathParam("recoveryPlanName") String name,
            @HeaderParam(ArmOperations.CLIENT_REQUEST_ID) String clientRequestId,
            @Valid @NotNull ArmInputs.RecoveryPlanPlannedFailoverInput input) {
        return operations.start(vault, clientRequestId, Operation.RecoveryPlanPlannedFailover, name, input.toService());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{recoveryPlanName}/unplannedFailover")
    public Uni<Response> unplannedFailover(@BeanParam VaultScope vault, @PathParam("recoveryPlanName") String name,
            @HeaderParam(ArmOperations.CLIENT_REQUEST_ID) String clientRequestId,
            @Valid @NotNull ArmInputs.RecoveryPlanUnplannedFailoverInput input) {
        return operations.start(vault, clientRequestId, Operation.RecoveryPlanUnplannedFailover, name, input.toService());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{recoveryPlanName}/testFailover")
    public Uni<Response> testFailover(@BeanParam VaultScope vault, @PathParam("recoveryPlanName") String name,
            @HeaderParam(ArmOperations.CLIENT_REQUEST_ID) String clientRequestId,
            @Valid @NotNull ArmInputs.RecoveryPlanTestFailoverInput input) {
        return operations.start(vault, clientRequestId, Operation.RecoveryPlanTestFailover, name, input.toService());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{recoveryPlanName}/testFailoverCleanup")
    public Uni<Response> testFailoverCleanup(@BeanParam VaultScope vault, @PathParam("recoveryPlanName") String name,
            @HeaderParam(ArmOperations.CLIENT_REQUEST_ID) String clientRequestId, @Valid ArmInputs.TestFailoverCleanupInput input) {
        return operations.start(vault, clientRequestId, Operation.RecoveryPlanTestFailoverCleanup, name,
                input == null ? null : input.toService());
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{recoveryPlanName}/failoverCommit")
    public Uni<Response> failoverCommit(@BeanParam VaultScope vault, @PathParam("recoveryPlanName") String name,
            @HeaderParam(ArmOperations.CLIENT_REQUEST_ID) String clientRequestId) {
        return operations.start(vault, clientRequestId, Operation.RecoveryPlanFailoverCommit, name, null);
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{recoveryPlanName}/reProtect")
    public Uni<Response> reProtect(@BeanParam VaultScope vault, @PathParam("recoveryPlanName") String name,
            @HeaderParam(ArmOperations.CLIENT_REQUEST_ID) String clientRequestId) {
        return operations.start(vault, clientRequestId, Operation.RecoveryPlanReprotect, name, null);
    }
}
