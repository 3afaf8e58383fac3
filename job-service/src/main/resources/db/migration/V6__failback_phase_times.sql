-- A ForDownTime failback's two phases: when phase 1 suspended the job, and when Complete Failover resumed it. The
-- failback estimate learns each phase's time outside its tasks from them (a Resume's phase spends less there than a
-- full download). Nullable without a default: adding them does not rewrite the table.
alter table replication_job add column if not exists suspendedat timestamp(6) with time zone;
alter table replication_job add column if not exists resumedat timestamp(6) with time zone;
