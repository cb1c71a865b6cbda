-- predictor's schema (search path = predictor): its own knowledge (anchors with known answers, from stored trials'
-- reported analyses and from posted CT Open items), prediction jobs, and every prediction with its inputs, model
-- versions and time. pg_trgm lives in public so every schema's search path finds it the same way.
create extension if not exists pg_trgm with schema public;

create table knowledge (
    nct_id text not null,
    endpoint_key text not null,
    source text not null check (source in ('trial', 'ct-open')),
    item jsonb not null,
    trial jsonb,
    results_date date,
    title text not null default '',
    interventions text[] not null default '{}',
    registry_text text not null,
    document tsvector generated always as (to_tsvector('english', registry_text)) stored,
    updated_at timestamptz not null default now(),
    primary key (nct_id, endpoint_key)
);

create index knowledge_document on knowledge using gin (document);
create index knowledge_interventions on knowledge using gin (interventions);
create index knowledge_title_trigrams on knowledge using gin (title public.gin_trgm_ops);

create table prediction_jobs (
    id uuid primary key,
    status text not null check (status in ('queued', 'running', 'completed', 'failed')),
    items int not null,
    cutoff date,
    error text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

create table prediction_job_items (
    job_id uuid not null references prediction_jobs (id) on delete cascade,
    item_index int not null,
    input jsonb not null,
    done_at timestamptz,
    primary key (job_id, item_index)
);

create table predictions (
    id bigserial primary key,
    job_id uuid references prediction_jobs (id) on delete cascade,
    item_index int,
    nct_id text not null,
    endpoint_key text not null,
    question_index int not null,
    input jsonb not null,
    probabilities double precision[] not null,
    output text not null,
    chains jsonb not null,
    model_versions jsonb not null,
    fallback_reason text,
    created_at timestamptz not null default now()
);

create unique index predictions_job_question on predictions (job_id, item_index, question_index) where job_id is not null;
create index predictions_nct on predictions (nct_id);
