-- After-commit signals: PostgreSQL delivers a NOTIFY when its transaction commits (not at all if it rolls back), to
-- every session that LISTENs, so every job-service instance learns of a change whichever instance (or tool) made it,
-- without the code that writes these rows knowing. Identical notifications of one transaction are delivered once.
-- job-service listens on one connection (messaging.ChangeNotifications) and wakes the outbox relay, the state-change
-- feed, the recovery plan orchestrator, the replication scheduler and job event streams; each also runs on a slow
-- safety-net timer, in case a notification is lost with its connection.

-- failback_outbox: messages were written to the outbox. One per statement: the relay reads whatever is there.
create or replace function failback_notify_outbox() returns trigger language plpgsql as $$
begin
    perform pg_notify('failback_outbox', '');
    return null;
end $$;
create trigger outbox_message_notify after insert on outbox_message
    for each statement execute function failback_notify_outbox();

-- failback_job: a job's row got a new version (Hibernate bumps it on every change; marking a version published does
-- not), with the job's name, for its event stream and the state-change feed.
-- failback_job_state: a job started or its state changed, with its name, for the recovery plans waiting on it.
create or replace function failback_notify_job() returns trigger language plpgsql as $$
begin
    perform pg_notify('failback_job', new.name);
    if tg_op = 'INSERT' or new.state is distinct from old.state then
        perform pg_notify('failback_job_state', new.name);
    end if;
    return null;
end $$;
create trigger replication_job_notify_insert after insert on replication_job
    for each row execute function failback_notify_job();
create trigger replication_job_notify_update after update on replication_job
    for each row when (new.version is distinct from old.version) execute function failback_notify_job();

-- failback_item and failback_plan: a protected item's or a recovery plan's row got a new version, with its name, for
-- the state-change feed (and, for items, the replication scheduler).
create or replace function failback_notify_row() returns trigger language plpgsql as $$
begin
    perform pg_notify(tg_argv[0], new.name);
    return null;
end $$;
create trigger replication_protected_item_notify_insert after insert on replication_protected_item
    for each row execute function failback_notify_row('failback_item');
create trigger replication_protected_item_notify_update after update on replication_protected_item
    for each row when (new.version is distinct from old.version) execute function failback_notify_row('failback_item');
create trigger recovery_plan_notify_insert after insert on recovery_plan
    for each row execute function failback_notify_row('failback_plan');
create trigger recovery_plan_notify_update after update on recovery_plan
    for each row when (new.version is distinct from old.version) execute function failback_notify_row('failback_plan');
