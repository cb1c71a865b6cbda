-- trace-generator's schema (search path = trace_generator): datasets of step examples, the split of every trial it has
-- seen (with its registry text, never results), trace sources and the external teacher's refused answers.
create table datasets (
    id uuid primary key,
    name text not null unique,
    template_version int not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table trials (
    trial_id text primary key,
    split text not null check (split in ('train', 'validation', 'test')),
    registry_text text not null,
    updated_at timestamptz not null default now()
);

create table dataset_trials (
    dataset_id uuid not null references datasets (id),
    trial_id text not null references trials (trial_id),
    primary key (dataset_id, trial_id)
);

create table trace_sources (
    name text primary key,
    kind text not null check (kind in ('grounded', 'external')),
    created_at timestamptz not null default now()
);

create table examples (
    seq bigserial not null unique,
    id uuid primary key,
    dataset_id uuid not null references datasets (id),
    pair_key text not null,
    pair_kind text not null,
    relation text not null,
    orientation text not null check (orientation in ('A->B', 'B->A')),
    factor text not null,
    split text not null check (split in ('train', 'validation', 'test')),
    trial_ids text[] not null,
    template_version int not null,
    system text not null,
    prompt text not null,
    completion text not null,
    expected_direction text not null check (expected_direction in ('higher', 'lower', 'same')),
    expected_log_ratio double precision,
    expected_significant boolean,
    trace_source text not null references trace_sources (name),
    facts jsonb not null,
    created_at timestamptz not null default now(),
    unique (dataset_id, pair_key, orientation)
);

create index examples_by_split_factor on examples (dataset_id, split, factor, seq);

create table teacher_refusals (
    dataset_id uuid not null references datasets (id),
    pair_key text not null,
    orientation text not null,
    source text not null,
    reason text not null,
    at timestamptz not null default now()
);
