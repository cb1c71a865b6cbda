-- Evidence Inference (data/evidence-inference/SOURCE.md): labelled questions, split by article (pmcid) like trials, and
-- unlabelled trial reports for the pretraining corpus of the dataset they were imported into (as trials, via dataset_articles). Their step examples live in examples (pair_kind
-- 'evidence-inference', pair_key 'evidence-inference:<prompt_id>', trial_ids = {pmcid}).
create table evidence_questions (
    prompt_id bigint primary key,
    pmcid text not null,
    split text not null check (split in ('train', 'validation', 'test')),
    intervention text not null,
    comparator text not null,
    outcome text not null,
    label text not null check (label in ('significantly increased', 'significantly decreased', 'no significant difference')),
    annotations int,
    imported_at timestamptz not null default now()
);

create index evidence_questions_by_pmcid on evidence_questions (pmcid);

create table articles (
    pmcid text primary key,
    text text not null,
    imported_at timestamptz not null default now()
);

create table dataset_articles (
    dataset_id uuid not null references datasets (id),
    pmcid text not null references articles (pmcid),
    primary key (dataset_id, pmcid)
);
