-- Hosts register with a one-time key (issue #16) and are pinned to the identity and address they registered with.
create table host_registration_key (
    name varchar(255) not null,
    -- SHA-256 of the key, hex: the key itself is shown once, when it is created, and kept nowhere.
    keyhash varchar(64) not null unique,
    createdat timestamp(6) with time zone not null,
    createdby varchar(255),
    expiresat timestamp(6) with time zone not null,
    usedat timestamp(6) with time zone,
    usedbyprovider varchar(255),
    revokedat timestamp(6) with time zone,
    primary key (name)
);

alter table fabric_provider add column publickey text;
alter table fabric_provider add column certificate text;
alter table fabric_provider add column registeredat timestamp(6) with time zone;
-- Hosts that announced themselves before registration existed have no key: their heartbeats are refused until they
-- register; a valid registration key claims such a row.
