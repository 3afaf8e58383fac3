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
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
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
        StringBuilder query = new StringBuilder("1 = 1");
        Parameters parameters = new Parameters();
        applyFilter(filter, query, parameters);
        String skipToken = vault.query(Paging.SKIP_TOKEN);
        if (skipToken != null && !skipToken.isEmpty()) {
            String[] cursor = Paging.after(skipToken).split("\\|", 2);
            try {
                parameters.and("cursorStart", Instant.parse(cursor[0])).and("cursorName", cursor[1]);
            } catch (RuntimeException e) {
                throw ProblemException.badRequest("InvalidSkipToken", "$skipToken is not one this API handed out");
            }
            query.append(" and (startTime < :cursorStart or (startTime = :cursorStart and name > :cursorName))");
        }
        int pageSize = config.pageSize();
        Sort newestFirst = Sort.by("startTime", Sort.Direction.Descending).and("name");
        return ReplicationJob.<ReplicationJob>find(query.toString(), newestFirst, parameters).page(Page.ofSize(pageSize + 1)).list()
                .map(jobs -> {
                    List<ReplicationJob> page = jobs.size() > pageSize ? jobs.subList(0, pageSize) : jobs;
                    String next = null;
                    if (jobs.size() > pageSize) {
                        ReplicationJob last = page.get(page.size() - 1);
                        String token = "%24skipToken=" + Paging.token(last.startTime + "|" + last.name);
                        next = vault.link(vault.requestPath(), (filter == null ? "" : "%24filter="
                                + URLEncoder.encode(filter, StandardCharsets.UTF_8).replace("+", "%20") + "&") + token);
                    }
                    return new ArmPage<>(page.stream().map(job -> ArmViews.job(vault, job)).toList(), next);
                });
    }

    private static void applyFilter(String filter, StringBuilder query, Parameters parameters) {
        if (filter == null || filter.isBlank()) {
            return;
        }
        Matcher clause = CLAUSE.matcher(filter);
        while (clause.find()) {
            String value = clause.group(3);
            switch (clause.group(1).toLowerCase(Locale.ROOT)) {
                case "jobstatus" -> {
                    List<JobState> states = new ArrayList<>();
                    for (String state : value.split(",")) {
                        try {
                            states.add(JobState.valueOf(state.trim()));
                        } catch (IllegalArgumentException e) {
                            throw ProblemException.badRequest("InvalidFilter", "jobStatus '" + state.trim() + "' is none of "
                                    + java.util.Arrays.toString(JobState.values()));
                        }
                    }
                    query.append(" and state in :states");
                    parameters.and("states", states);
                }
                case "jobname" -> {
                    query.append(" and scenarioName = :scenarioName");
                    parameters.and("scenarioName", value);
                }
                case "targetobjectid" -> {
                    query.append(" and targetObjectId = :targetObjectId");
                    parameters.and("targetObjectId", value);
                }
                case "starttime" -> {
                    query.append(" and startTime >= :from");
                    parameters.and("from", time(value));
                }
                case "endtime" -> {
                    query.append(" and startTime <= :to");
                    parameters.and("to", time(value));
                }
                default -> {
                    // fabricId, affectedObjectTypes, jobOutputType, timezoneOffset: one fabric pair, one kind of object.
                }
            }
        }
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
