-- The trace a command belongs to (issue #15): the W3C traceparent of the request or record whose transaction wrote
-- it, so that the outbox relay, which sends it later and elsewhere, continues that trace in the Kafka record's
-- headers. Null when tracing is off or nothing traced wrote the row; 55 characters is traceparent's version 00 form.
alter table outbox_message add column if not exists traceparent varchar(55);
