-- pair-miner's schema (the connection's search path): trials as stored, one row per (source, record id, version).
-- A version is a distinct content hash of the raw record; publishing the same content again matches the existing row
-- and changes nothing. The retrieval keys (condition_keys, interventions) are computed in C# (TrialFeatures), never in
-- SQL, so the name normalization has one definition.
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
    condition_keys   text[]      not null default '{}',
    sex              text,
    min_age_years    double precision,
    max_age_years    double precision,
    masking          text,
    allocation       text,
    is_latest        boolean     not null default true,
    mined_at         timestamptz,
    constraint trials_record_content_unique unique (source, source_record_id, content_hash),
    constraint trials_record_version_unique unique (source, source_record_id, version)
);

create index trials_trial_id on trials (trial_id);
create index trials_nct_id on trials (nct_id) where nct_id is not null;
-- Neighbour retrieval looks only at the latest versions that have results; partial GIN indexes keep it to those.
create index trials_interventions_gin on trials using gin (interventions) where is_latest and has_results;
create index trials_conditions_gin on trials using gin (condition_keys) where is_latest and has_results;

-- The newest version of every record.
create view latest_trials as
select distinct on (source, source_record_id) *
from trials
order by source, source_record_id, version desc;
