package io.failback.jobs.repository;

import io.failback.contracts.site.ProblemException;
import io.failback.jobs.domain.JobState;
import io.failback.jobs.domain.ReplicationJob;
import io.quarkus.panache.common.Page;
import io.quarkus.panache.common.Parameters;
import io.quarkus.panache.common.Sort;
import io.smallrye.mutiny.Uni;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/**
 * The job list both front doors serve ({@code /api} and ARM): newest first, filtered, a page at a time from where
 * the last page ended. A cursor (start time, then name) rather than an offset, so that jobs starting while a client
 * pages through sort before its cursor and never shift a page. Call within a session.
 */
public final class JobQueries {
    private JobQueries() {
    }

    /**
     * What to list; null fields do not filter.
     *
     * @param states any of these states (null or empty: all)
     * @param startedFrom started at or after
     * @param startedTo started at or before
     */
    public record JobFilter(List<JobState> states, String scenarioName, String targetObjectId, Instant startedFrom, Instant startedTo) {
        public static final JobFilter ALL = new JobFilter(null, null, null, null, null);
    }

    /** Where a page ended, as an opaque token a client hands back for the next one. */
    public record JobCursor(Instant startTime, String name) {
        public static JobCursor after(ReplicationJob job) {
            return new JobCursor(job.startTime, job.name);
        }

        public String token() {
            return Base64.getUrlEncoder().withoutPadding().encodeToString((startTime + "|" + name).getBytes(StandardCharsets.UTF_8));
        }

        /** @throws ProblemException 400 for a token this API did not hand out */
        public static JobCursor parse(String token) {
            try {
                String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split("\\|", 2);
                return new JobCursor(Instant.parse(parts[0]), parts[1]);
            } catch (RuntimeException e) {
                throw ProblemException.badRequest("InvalidSkipToken", "$skipToken is not one this API handed out");
            }
        }
    }

    /** One page, and the cursor of the next one (null on the last page). */
    public record JobPage(List<ReplicationJob> jobs, JobCursor next) {
    }

    /** @param after the cursor of the page before, or null for the first page */
    public static Uni<JobPage> newestFirst(JobFilter filter, JobCursor after, int size) {
        StringBuilder query = new StringBuilder("1 = 1");
        Parameters parameters = new Parameters();
        if (filter.states() != null && !filter.states().isEmpty()) {
            query.append(" and state in :states");
            parameters.and("states", filter.states());
        }
        if (filter.scenarioName() != null) {
            query.append(" and scenarioName = :scenarioName");
            parameters.and("scenarioName", filter.scenarioName());
        }
        if (filter.targetObjectId() != null) {
            query.append(" and targetObjectId = :targetObjectId");
            parameters.and("targetObjectId", filter.targetObjectId());
        }
        if (filter.startedFrom() != null) {
            query.append(" and startTime >= :from");
            parameters.and("from", filter.startedFrom());
        }
        if (filter.startedTo() != null) {
            query.append(" and startTime <= :to");
            parameters.and("to", filter.startedTo());
        }
        if (after != null) {
            query.append(" and (startTime < :cursorStart or (startTime = :cursorStart and name > :cursorName))");
            parameters.and("cursorStart", after.startTime()).and("cursorName", after.name());
        }
        Sort newestFirst = Sort.by("startTime", Sort.Direction.Descending).and("name");
        return ReplicationJob.<ReplicationJob>find(query.toString(), newestFirst, parameters).page(Page.ofSize(size + 1)).list()
                .map(jobs -> jobs.size() > size ? new JobPage(jobs.subList(0, size), JobCursor.after(jobs.get(size - 1)))
                        : new JobPage(jobs, null));
    }
}
