-- Trials as stored: one row per (source, record id, version). A version is a distinct content hash of the raw
-- record; publishing the same content again matches the existing row and changes nothing.
create extension if not exists pg_trgm;

create table trials (
    id               bigint generated always as identity primary key,
    trial_id         text        not null,
    source           text        not null,
    source_record_id text        not null,
    version          integer     not null,
    content_hash     text        not null,
    format           text        not null,
    nct_id           text,
    title            text,
    phases           text[]      not null default '{}',
    conditions       text[]      not null default '{}',
    interventions    text[]      not null default '{}',
    countries        text[]      not null default '{}',
    enrollment       integer,
    start_date       text,
    has_results      boolean     not null,
    document         jsonb       not null,
    raw_record       text        not null,
    correlation_id   uuid,
    stored_at        timestamptz not null default now(),
    constraint trials_record_content_unique unique (source, source_record_id, content_hash),
    constraint trials_record_version_unique unique (source, source_record_id, version)
);

create index trials_trial_id on trials (trial_id);
create index trials_nct_id on trials (nct_id) where nct_id is not null;

-- The newest version of every record.
create view latest_trials as
select distinct on (source, source_record_id) *
from trials
order by source, source_record_id, version desc;
