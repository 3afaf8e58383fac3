-- Indexes for the queries job-service runs on tables that grow, and for the retention job's deletes.
-- 'if not exists': a database baselined at V1 may have been given some of them by hand.

-- Job lists (REST and ARM) are newest first, by (startTime desc, name), optionally filtered by state or item;
-- the redriver and the plan orchestrator look for InProgress jobs.
create index if not exists replication_job_starttime on replication_job (starttime desc, name);
create index if not exists replication_job_state_starttime on replication_job (state, starttime desc, name);
create index if not exists replication_job_target_starttime on replication_job (targetobjectid, starttime desc, name);
-- The state-change feed reads the jobs whose latest version is not published yet: few, among many.
create index if not exists replication_job_unpublished on replication_job (name)
    where publishedversion is null or version > publishedversion;

-- Retention: processed events and operation requests are deleted by age.
create index if not exists processed_event_processedat on processed_event (processedat);
create index if not exists operation_request_createdat on operation_request (createdat);
