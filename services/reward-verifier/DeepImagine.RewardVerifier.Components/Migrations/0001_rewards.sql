-- reward-verifier's schema (search path = reward_verifier): every verified rollout group and each completion's reward
-- with its components, kept for audit. A group is stored once (its id is rollout-generator's group id); published_at
-- is set once the broker confirmed its RewardsVerified, so a redelivered group is not announced again.
create table reward_groups (
    seq bigserial not null unique,
    group_id uuid primary key,
    job_id uuid not null,
    batch_id uuid not null,
    prompt_id uuid not null,
    prompt_kind text not null,
    model_name text not null,
    policy_version int not null,
    worker text not null,
    verified_at timestamptz not null default now(),
    published_at timestamptz
);

create index reward_groups_by_job on reward_groups (job_id, seq);

create table completion_rewards (
    group_id uuid not null references reward_groups (group_id),
    index int not null,
    text text not null,
    token_count int not null,
    finish_reason text not null,
    reward double precision,
    advantage double precision not null,
    parseable boolean not null,
    parse_error text,
    components jsonb not null,
    primary key (group_id, index)
);
