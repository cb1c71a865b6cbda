-- rollout-generator's store: each group generated once (keyed by its group id), with the prompt's token ids and every
-- completion's token ids and sampler log-probs, which the learner reads by reference (GET /api/rollouts/{groupId}).
-- Claims are session advisory locks on the group id (RolloutRepository): they vanish with a killed worker's connection.
create table rollout_groups (
    group_id uuid primary key,
    job_id uuid not null,
    batch_id uuid not null,
    prompt_id uuid not null,
    model_name text not null,
    policy_version int not null,
    prompt_token_ids int[] not null,
    worker text not null,
    tokens_per_second double precision not null,
    generated_at timestamptz not null,
    -- set once RolloutsGenerated is confirmed by the broker; a redelivered request announces a group without it again
    published_at timestamptz
);
create index rollout_groups_job on rollout_groups (job_id, batch_id);

create table rollout_completions (
    group_id uuid not null references rollout_groups (group_id) on delete cascade,
    completion_index int not null,
    text text not null,
    token_ids int[] not null,
    log_probs real[] not null,
    finish_reason text not null,
    primary key (group_id, completion_index)
);
