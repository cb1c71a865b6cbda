-- How far a dataset was filled from what pair-miner stored before the dataset existed (a new template version starts a
-- new dataset, and the trials mined earlier are announced no more): the last trial id done, and when it finished.
create table dataset_backfills (
    dataset_id uuid primary key references datasets (id),
    last_trial_id text,
    trials_done int not null default 0,
    completed_at timestamptz,
    updated_at timestamptz not null default now()
);
