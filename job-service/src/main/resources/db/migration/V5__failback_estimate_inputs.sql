-- The failback estimate learns from finished failbacks. A full download's time depends on how much of the disk held
-- data (zeros travel as run lengths), which the job's own counters do not say: the job records it as it starts.
-- Nullable without a default: adding it does not rewrite the table.
alter table replication_job add column if not exists sourcedatabytes bigint;
-- The estimate reads the newest succeeded jobs of one scenario to one host.
create index if not exists replication_job_succeeded_by_host on replication_job (scenarioname, targetproviderid, endtime desc)
    where state = 'Succeeded';
