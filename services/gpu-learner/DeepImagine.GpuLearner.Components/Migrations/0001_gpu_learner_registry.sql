-- gpu-learner's registry: jobs, their per-step metrics, models and their versions (the files live in the model store).
create table jobs (
    job_id uuid primary key,
    idempotency_key text not null unique,
    kind text not null,
    base_model text,
    base_version int,
    dataset_id uuid,
    factor text,
    hyper_parameters jsonb not null,
    status text not null,
    cancel_requested boolean not null default false,
    step int not null default 0,
    total_steps int not null,
    loss double precision,
    eta_seconds double precision,
    last_metrics jsonb not null default '{}'::jsonb,
    model_name text,
    model_version int,
    error text,
    submitted_at timestamptz not null,
    started_at timestamptz,
    finished_at timestamptz
);
create index jobs_runnable on jobs (submitted_at) where status in ('queued', 'running');

create table job_metrics (
    job_id uuid not null references jobs (job_id) on delete cascade,
    step int not null,
    loss double precision not null,
    learning_rate double precision not null,
    tokens_per_second double precision not null,
    val_loss double precision,
    val_direction_acc double precision,
    majority_acc double precision,
    primary key (job_id, step)
);

create table model_versions (
    name text not null,
    version int not null,
    kind text not null,
    parent_model text,
    parent_version int,
    path text not null,
    sha256 text not null,
    job_id uuid,
    metrics jsonb not null default '{}'::jsonb,
    created_at timestamptz not null,
    primary key (name, version)
);
