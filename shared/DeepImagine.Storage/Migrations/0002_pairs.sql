-- Retrieval features for approximate pairs, latest-version tracking, and the pairs themselves.
alter table trials
    add column condition_keys text[]      not null default '{}',
    add column sex            text,
    add column min_age_years  double precision,
    add column max_age_years  double precision,
    add column masking        text,
    add column allocation     text,
    add column is_latest      boolean     not null default true,
    add column mined_at       timestamptz;

-- Backfill rows stored before this migration from their documents.
update trials set
    condition_keys = coalesce((select array_agg(distinct btrim(regexp_replace(lower(c), '[^a-z0-9]+', ' ', 'g')))
                               from jsonb_array_elements_text(document->'conditions') c), '{}'),
    sex            = document->'eligibility'->>'sex',
    min_age_years  = (document->'eligibility'->'minimumAge'->>'years')::double precision,
    max_age_years  = (document->'eligibility'->'maximumAge'->>'years')::double precision,
    masking        = document->'design'->>'masking',
    allocation     = document->'design'->>'allocation';
update trials t set is_latest = (t.version = (select max(version) from trials x where x.source = t.source and x.source_record_id = t.source_record_id));

-- Neighbour retrieval looks only at the latest versions that have results; partial GIN indexes keep it to those.
create index trials_interventions_gin on trials using gin (interventions) where is_latest and has_results;
create index trials_conditions_gin on trials using gin (condition_keys) where is_latest and has_results;

create table pairs (
    id               bigint generated always as identity primary key,
    pair_key         text        not null unique,
    kind             text        not null,
    factors          text[]      not null,
    relation         text        not null,
    a_trial_row      bigint      not null references trials (id) on delete cascade,
    b_trial_row      bigint      not null references trials (id) on delete cascade,
    a_trial_id       text        not null,
    b_trial_id       text        not null,
    direction        text        not null,
    higher_is_better boolean,
    b_is_better      boolean,
    significant      boolean,
    similarity       double precision not null,
    a                jsonb       not null,
    b                jsonb       not null,
    comparison       jsonb,
    label            jsonb       not null,
    created_at       timestamptz not null default now()
);

create index pairs_a_trial_row on pairs (a_trial_row);
create index pairs_b_trial_row on pairs (b_trial_row);
create index pairs_a_trial_id on pairs (a_trial_id);
create index pairs_b_trial_id on pairs (b_trial_id);
create index pairs_kind_factors on pairs using gin (factors);
