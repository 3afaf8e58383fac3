package io.failback.jobs.arm;

import io.failback.jobs.repository.ItemQueries;
import io.failback.jobs.repository.ProviderQueries;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.arm.ArmViews.ArmPage;
import io.failback.jobs.arm.ArmViews.ArmResource;
import io.failback.jobs.arm.ArmViews.ItemProperties;
import io.failback.jobs.arm.ArmViews.ProviderProperties;
import io.failback.jobs.domain.OperationRequestRecord;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.domain.ReplicationProtectedItem;
import io.failback.jobs.security.Roles;
import io.failback.jobs.service.JobServiceConfig;
import io.failback.jobs.service.RecoveryPlanService;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Response;
import java.time.Instant;

/**
 * The vault-wide reads of Site Recovery's ARM surface: every protected item, every provider, and the status and
 * result of long-running operations (what the SDK polls after a 202).
 */
@RolesAllowed(Roles.READER)
@Path(ArmPaths.VAULT)
public class ArmVaultResource {
    private final ArmConfig armConfig;
    private final JobServiceConfig config;
    private final ArmOperations operations;
    private final RecoveryPlanService plans;

    public ArmVaultResource(ArmConfig armConfig, JobServiceConfig config, ArmOperations operations, RecoveryPlanService plans) {
        this.armConfig = armConfig;
        this.config = config;
        this.operations = operations;
        this.plans = plans;
    }

    /** Every protected item, in name order, a page at a time ({@code $filter} is not applied: all are Hyper-V VMs). */
    @GET
    @Path(ArmPaths.ITEMS)
    @WithSession
    public Uni<ArmPage<ArmResource<ItemProperties>>> items(@BeanParam VaultScope vault) {
        return itemPage(vault, armConfig.pageSize());
    }

    /** A page of items after the request's {@code $skipToken}, with an absolute {@code nextLink} when more follow. */
    static Uni<ArmPage<ArmResource<ItemProperties>>> itemPage(VaultScope vault, int pageSize) {
        String after = Paging.after(vault.query(Paging.SKIP_TOKEN));
        return ItemQueries.inNameOrder(after, pageSize).map(page -> new ArmPage<>(
                page.items().stream().map(item -> ArmViews.item(vault, item)).toList(),
                page.more() ? Paging.nextLink(vault, page.lastName()) : null));
    }

    @GET
    @Path(ArmPaths.PROVIDERS)
    @WithSession
    public Uni<ArmPage<ArmResource<ProviderProperties>>> providers(@BeanParam VaultScope vault) {
        return providerPage(vault, config);
    }

    static Uni<ArmPage<ArmResource<ProviderProperties>>> providerPage(VaultScope vault, JobServiceConfig config) {
        return ProviderQueries.inIdOrder().chain(providers -> ItemQueries.countsByHost().map(counts -> {
            Instant now = Instant.now();
            return new ArmPage<>(providers.stream().map(provider -> ArmViews.provider(vault, provider,
                    provider.isConnected(now, config.providerHeartbeatTimeout()), counts.getOrDefault(provider.providerId, 0L).intValue()))
                    .toList(), null);
        }));
    }


    @GET
    @Path(ArmPaths.OPERATION_STATUS + "/{operationId}")
    @WithSession
    public Uni<ArmOperations.OperationStatus> status(@BeanParam VaultScope vault, @PathParam("operationId") String operationId) {
        return record(operationId).chain(record -> job(record).map(job -> ArmOperations.statusBody(vault, record, job)));
    }

    /**
     * 202 (with Location and Retry-After again) until the operation ends; then the resource it acted on: the item
     * (none, 204, once disabling protection removed it), the job for job operations, the plan for plan operations.
     * A failed or cancelled operation answers 409 with the job's error, as the status does.
     */
    @GET
    @Path(ArmPaths.OPERATION_RESULTS + "/{operationId}")
    @WithSession
    public Uni<Response> result(@BeanParam VaultScope vault, @PathParam("operationId") String operationId) {
        return record(operationId).chain(record -> job(record).chain(job -> {
            ArmOperations.OperationStatus status = ArmOperations.statusBody(vault, record, job);
            if (ArmOperations.IN_PROGRESS.equals(status.status())) {
                return Uni.createFrom().item(Response.accepted()
                        .header("Location", vault.operationResultLink(operationId))
                        .header("Retry-After", operations.retryAfterSeconds()).build());
            }
            if (status.error() != null) {
                return Uni.createFrom().item(ArmErrors.response(409, status.error().code(), status.error().message()));
            }
            return finalResource(vault, record, job);
        }));
    }

    private Uni<Response> finalResource(VaultScope vault, OperationRequestRecord record, ReplicationJob job) {
        return switch (ArmOperations.resultKind(record.operation)) {
            case JOB -> Uni.createFrom().item(Response.ok(ArmViews.job(vault, job)).build());
            case PLAN -> plans.find(record.target).map(overview -> Response.ok(ArmViews.plan(vault, overview)).build())
                    .onFailure(ProblemException.class).recoverWithItem(gone -> Response.noContent().build());
            case ITEM -> ReplicationProtectedItem.<ReplicationProtectedItem>findById(record.target)
                    .map(item -> item == null ? Response.noContent().build() : Response.ok(ArmViews.item(vault, item)).build());
        };
    }

    private static Uni<OperationRequestRecord> record(String operationId) {
        return OperationRequestRecord.<OperationRequestRecord>findById(operationId)
                .onItem().ifNull().failWith(() -> ProblemException.notFound("OperationNotFound", "no operation '" + operationId
                        + "': it is the x-ms-client-request-id of a request that started one"));
    }

    private static Uni<ReplicationJob> job(OperationRequestRecord record) {
        return record.jobName == null ? Uni.createFrom().nullItem() : ReplicationJob.findById(record.jobName);
    }
}
