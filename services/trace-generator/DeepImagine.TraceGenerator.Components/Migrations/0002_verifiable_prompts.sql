-- Prompts with verifiable answers for RL (VerifiablePromptRecord): approximate-pair steps in the step format and
-- CT Open-style questions built from stored results. The gold answer is kept in columns (null = unknown); the split is
-- by trial, as for the examples. Rows are immutable: ids are hashes of what the prompt is about, inserts do nothing on
-- conflict, so a redelivered PairsMined adds nothing.
create table verifiable_prompts (
    seq bigserial not null unique,
    id uuid primary key,
    dataset_id uuid not null references datasets (id),
    kind text not null check (kind in ('approximate-step', 'superiority', 'comparative', 'endpoint-met', 'evidence-inference')),
    factor text,
    split text not null check (split in ('train', 'validation', 'test')),
    source_ids text[] not null check (cardinality(source_ids) > 0),
    template_version int not null,
    system text not null,
    prompt text not null,
    options text[],
    gold_direction text check (gold_direction in ('higher', 'lower', 'same')),
    gold_significant boolean,
    gold_log_ratio double precision,
    gold_option_index int,
    created_at timestamptz not null default now(),
    check (gold_option_index is null or (options is not null and gold_option_index >= 0 and gold_option_index < cardinality(options)))
);

create index verifiable_prompts_by_split_kind on verifiable_prompts (dataset_id, split, kind, seq);
