package io.failback.jobs.arm;

import io.failback.contracts.messaging.OperationRequest.Operation;
import io.failback.contracts.site.ProblemException;
import io.failback.jobs.arm.ArmViews.ArmPage;
import io.failback.jobs.arm.ArmViews.ArmResource;
import io.failback.jobs.arm.ArmViews.JobProperties;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.ReplicationJob;
import io.failback.jobs.security.Roles;
import io.failback.jobs.service.FailoverService;
import io.quarkus.hibernate.reactive.panache.common.WithSession;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import io.failback.jobs.repository.JobQueries;
import io.failback.jobs.repository.JobQueries.JobCursor;
import io.failback.jobs.repository.JobQueries.JobFilter;
import jakarta.ws.rs.BeanParam;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.HeaderParam;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Response;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;

/**
 * Site Recovery jobs under ARM's {@code P/replicationJobs}: newest first, a page at a time, with the actions Resume
 * ("Complete Failover" of a suspended failback), Restart and Cancel as long-running operations.
 */
@RolesAllowed(Roles.READER)
@Path(ArmPaths.VAULT + "/" + ArmPaths.JOBS)
public class ArmJobsResource {
    /** One clause of the OData filter ({@code name eq 'value'}); ASR's JobQueryParameter names them. */
    private static final java.util.regex.Pattern CLAUSE = java.util.regex.Pattern.compile("(\\w+)\\s+(eq|ge|le)\\s+'([^']*)'");

    private final ArmConfig config;
    private final ArmOperations operations;

    public ArmJobsResource(ArmConfig config, ArmOperations operations) {
        this.config = config;
        this.operations = operations;
    }

    /**
     * The jobs, newest first. {@code $filter} takes ASR's JobQueryParameter clauses joined by {@code and}:
     * {@code jobStatus eq 'InProgress,Suspended'} (comma-separated states), {@code jobName eq 'PlannedFailover'} (the
     * scenario), {@code startTime eq '<ISO time>'} (started at or after), {@code endTime eq '<ISO time>'} (started at or
     * before), {@code targetObjectId eq '<item>'}; other clauses ({@code fabricId}, {@code affectedObjectTypes}, ...) are
     * ignored, there being one fabric pair and one kind of object.
     */
    @GET
    @WithSession
    public Uni<ArmPage<ArmResource<JobProperties>>> list(@BeanParam VaultScope vault, @QueryParam("$filter") String filter) {
        String skipToken = vault.query(Paging.SKIP_TOKEN);
        JobCursor after = skipToken == null || skipToken.isEmpty() ? null : JobCursor.parse(skipToken);
        return JobQueries.newestFirst(parseFilter(filter), after, config.pageSize())
                .map(page -> new ArmPage<>(page.jobs().stream().map(job -> ArmViews.job(vault, job)).toList(), page.next() == null ? null
                        : vault.link(vault.requestPath(), (filter == null ? "" : "%24filter="
                                + URLEncoder.encode(filter, StandardCharsets.UTF_8).replace("+", "%20") + "&")
                                + "%24skipToken=" + page.next().token())));
    }

    private static JobFilter parseFilter(String filter) {
        if (filter == null || filter.isBlank()) {
            return JobFilter.ALL;
        }
        List<JobState> states = null;
        String scenarioName = null;
        String targetObjectId = null;
        Instant from = null;
        Instant to = null;
        Matcher clause = CLAUSE.matcher(filter);
        while (clause.find()) {
            String value = clause.group(3);
            switch (clause.group(1).toLowerCase(Locale.ROOT)) {
                case "jobstatus" -> {
                    states = new ArrayList<>();
                    for (String state : value.split(",")) {
                        try {
                            states.add(JobState.valueOf(state.trim()));
                        } catch (IllegalArgumentException e) {
                            throw ProblemException.badRequest("InvalidFilter", "jobStatus '" + state.trim() + "' is none of "
                                    + java.util.Arrays.toString(JobState.values()));
                        }
                    }
                }
                case "jobname" -> scenarioName = value;
                case "targetobjectid" -> targetObjectId = value;
                case "starttime" -> from = time(value);
                case "endtime" -> to = time(value);
                default -> {
                    // fabricId, affectedObjectTypes, jobOutputType, timezoneOffset: one fabric pair, one kind of object.
                }
            }
        }
        return new JobFilter(states, scenarioName, targetObjectId, from, to);
    }

    private static Instant time(String value) {
        try {
            return OffsetDateTime.parse(value).toInstant();
        } catch (RuntimeException e) {
            try {
                return Instant.parse(value);
            } catch (RuntimeException again) {
                throw ProblemException.badRequest("InvalidFilter", "'" + value + "' is not an ISO 8601 time");
            }
        }
    }

    @GET
    @Path("/{jobName}")
    @WithSession
    public Uni<ArmResource<JobProperties>> get(@BeanParam VaultScope vault, @PathParam("jobName") String jobName) {
        return ReplicationJob.<ReplicationJob>findById(jobName)
                .onItem().ifNull().failWith(() -> FailoverService.jobNotFound(jobName))
                .map(job -> ArmViews.job(vault, job));
    }

    /** "Complete Failover" of a suspended ForDownTime failback (ResumeJobParams; its comments are not kept). */
    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{jobName}/resume")
    public Uni<Response> resume(@BeanParam VaultScope vault, @PathParam("jobName") String jobName,
            @HeaderParam(ArmOperations.CLIENT_REQUEST_ID) String clientRequestId, @Valid ArmInputs.ResumeJobParams input) {
        return operations.start(vault, clientRequestId, Operation.ResumeJob, jobName, null);
    }

    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{jobName}/restart")
    public Uni<Response> restart(@BeanParam VaultScope vault, @PathParam("jobName") String jobName,
            @HeaderParam(ArmOperations.CLIENT_REQUEST_ID) String clientRequestId) {
        return operations.start(vault, clientRequestId, Operation.RestartJob, jobName, null);
    }

    /** Succeeds once the job is Cancelled (at once: cancelling ends the job and tells sync-service to stop). */
    @POST
    @RolesAllowed(Roles.OPERATOR)
    @Path("/{jobName}/cancel")
    public Uni<Response> cancel(@BeanParam VaultScope vault, @PathParam("jobName") String jobName,
            @HeaderParam(ArmOperations.CLIENT_REQUEST_ID) String clientRequestId) {
        return operations.start(vault, clientRequestId, Operation.CancelJob, jobName, null);
    }
}
