-- grpo jobs: named per-step metrics beyond the fixed columns, and the scored rollout groups a job has received
-- (kept here so a restarted learner still has them; used_at_step is the step that trained on or dropped the group).
alter table job_metrics add column extra jsonb;

create table grpo_rewards (
    job_id uuid not null,
    group_id uuid not null,
    batch_id uuid not null,
    prompt_id uuid not null,
    policy_version int not null,
    message jsonb not null,
    received_at timestamptz not null default now(),
    used_at_step int,
    primary key (job_id, group_id)
);
create index grpo_rewards_pending on grpo_rewards (job_id, received_at) where used_at_step is null;
