-- What an item's job waits for while a part it needs is away (a site that does not answer, a stream cut half-way,
-- sync-service silent): "<code>: <message>", shown as a health error until the job goes on or ends.
-- Nullable without a default: adding it does not rewrite the table.
alter table replication_protected_item add column if not exists waitingon varchar(1000);
