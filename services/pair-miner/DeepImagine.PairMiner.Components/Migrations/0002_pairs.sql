-- Counterfactual pairs, keyed by a hash of (kind, both trial versions, groups, outcomes, cells).
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
