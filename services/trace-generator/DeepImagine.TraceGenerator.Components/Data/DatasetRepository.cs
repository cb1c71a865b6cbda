using System.Text.Json;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
using DeepImagine.Imagining.Questions;
using DeepImagine.TraceGenerator.Examples;
using DeepImagine.TraceGenerator.Teaching;
using Npgsql;

namespace DeepImagine.TraceGenerator.Data;

/// <summary>A trial as trace-generator keeps it: its split and its registry text (never results).</summary>
public sealed record SeenTrial(string TrialId, string Split, string RegistryText);

/// <summary>Datasets, examples, trial splits and trace sources in schema trace_generator. Every write is idempotent.</summary>
public sealed class DatasetRepository(NpgsqlDataSource dataSource, PromptRepository prompts)
{
    public async Task<Guid> EnsureDatasetAsync(string name, int templateVersion, CancellationToken cancellationToken)
    {
        var id = StepExample.DatasetIdOf(name);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // Two statements, not one: a row another instance inserts concurrently is visible only to a statement that starts after it commits.
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into datasets (id, name, template_version) values (@id, @name, @templateVersion) on conflict do nothing",
            new { id, name, templateVersion }, cancellationToken: cancellationToken));
        var stored = await connection.QuerySingleAsync<int>(new CommandDefinition(
            "select template_version from datasets where id = @id", new { id }, cancellationToken: cancellationToken));
        if (stored != templateVersion)
            throw new InvalidOperationException($"dataset '{name}' holds template version {stored}, not {templateVersion}; configure a new TraceGeneration:DatasetName");
        return id;
    }

    /// <summary>Records the trials (split and registry text, refreshed to the newest version) as seen by the dataset.</summary>
    public async Task AddTrialsAsync(Guid datasetId, IReadOnlyList<SeenTrial> trials, CancellationToken cancellationToken)
    {
        if (trials.Count == 0) return;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into trials (trial_id, split, registry_text)
            select * from unnest(@ids, @splits, @texts)
            on conflict (trial_id) do update set registry_text = excluded.registry_text, updated_at = now()
              where trials.registry_text <> excluded.registry_text;
            insert into dataset_trials (dataset_id, trial_id) select @datasetId, unnest(@ids) on conflict do nothing;
            """, new
        {
            datasetId,
            ids = trials.Select(t => t.TrialId).ToArray(),
            splits = trials.Select(t => t.Split).ToArray(),
            texts = trials.Select(t => t.RegistryText).ToArray(),
        }, cancellationToken: cancellationToken));
    }

    /// <summary>Which of these example ids are stored already (so no teacher is asked twice for one).</summary>
    public async Task<IReadOnlySet<Guid>> ExistingAsync(IReadOnlyList<Guid> exampleIds, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var ids = await connection.QueryAsync<Guid>(new CommandDefinition("select id from examples where id = any(@exampleIds)",
            new { exampleIds = exampleIds.ToArray() }, cancellationToken: cancellationToken));
        return ids.ToHashSet();
    }

    /// <summary>Stores examples not stored yet; returns how many were added.</summary>
    public async Task<int> AddExamplesAsync(IReadOnlyList<StepExample> examples, CancellationToken cancellationToken)
    {
        if (examples.Count == 0) return 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var source in examples.Select(e => e.Trace.Source).Distinct())
        {
            await connection.ExecuteAsync(new CommandDefinition("insert into trace_sources (name, kind) values (@source, @kind) on conflict do nothing",
                new { source, kind = source == TraceSources.Grounded ? "grounded" : "external" }, transaction, cancellationToken: cancellationToken));
        }
        var added = 0;
        foreach (var e in examples)
        {
            added += await connection.ExecuteAsync(new CommandDefinition("""
                insert into examples (id, dataset_id, pair_key, pair_kind, relation, orientation, factor, split, trial_ids, template_version,
                                      system, prompt, completion, expected_direction, expected_log_ratio, expected_significant, trace_source, facts)
                values (@Id, @DatasetId, @PairKey, @PairKind, @Relation, @Orientation, @Factor, @Split, @TrialIds, @TemplateVersion,
                        @System, @Prompt, @Completion, @Direction, @LogRatio, @Significant, @Source, @Facts::jsonb)
                on conflict do nothing
                """, new
            {
                e.Id, e.DatasetId, e.PairKey, e.PairKind, e.Relation, e.Orientation, e.Factor, e.Split,
                TrialIds = e.TrialIds.ToArray(), e.Prompt.TemplateVersion, e.Prompt.System, Prompt = e.Prompt.User, e.Completion,
                Direction = StepFormat.Word(e.Observed.Direction), e.Observed.LogRatio, e.Observed.Significant,
                e.Trace.Source, Facts = JsonSerializer.Serialize(e.Trace.Facts, JsonSerializerOptions.Web),
            }, transaction, cancellationToken: cancellationToken));
        }
        if (added > 0)
        {
            await connection.ExecuteAsync(new CommandDefinition("update datasets set updated_at = now() where id = any(@ids)",
                new { ids = examples.Select(e => e.DatasetId).Distinct().ToArray() }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        return added;
    }

    public async Task AddRefusalAsync(Guid datasetId, string pairKey, string orientation, string source, string reason, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition(
            "insert into teacher_refusals (dataset_id, pair_key, orientation, source, reason) values (@datasetId, @pairKey, @orientation, @source, @reason)",
            new { datasetId, pairKey, orientation, source, reason }, cancellationToken: cancellationToken));
    }

    /// <summary>Where the dataset's backfill stands: the last trial id done (null before the first) and whether it finished.</summary>
    public async Task<(string? LastTrialId, int TrialsDone, bool Completed)> BackfillStateAsync(Guid datasetId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<(string? LastTrialId, int TrialsDone, DateTime? CompletedAt)?>(new CommandDefinition(
            "select last_trial_id, trials_done, completed_at from dataset_backfills where dataset_id = @datasetId",
            new { datasetId }, cancellationToken: cancellationToken));
        return row is { } r ? (r.LastTrialId, r.TrialsDone, r.CompletedAt is not null) : (null, 0, false);
    }

    /// <summary>Records a finished page of the backfill (and, after the last page, that it is complete).</summary>
    public async Task SaveBackfillAsync(Guid datasetId, string? lastTrialId, int trialsDone, bool completed, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into dataset_backfills (dataset_id, last_trial_id, trials_done, completed_at)
            values (@datasetId, @lastTrialId, @trialsDone, case when @completed then now() end)
            on conflict (dataset_id) do update set last_trial_id = excluded.last_trial_id, trials_done = excluded.trials_done,
              completed_at = excluded.completed_at, updated_at = now()
            """, new { datasetId, lastTrialId, trialsDone, completed }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Runs <paramref name="work"/> while holding the dataset's backfill lock (a session advisory lock, so it is released
    /// when the holder's connection ends, also after a kill): one instance backfills, the others wait and then find it done.
    /// </summary>
    public async Task<T> WithBackfillLockAsync<T>(Guid datasetId, Func<Task<T>> work, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var key = BitConverter.ToInt64(datasetId.ToByteArray(), 0);
        await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_lock(@key)", new { key }, commandTimeout: 0, cancellationToken: cancellationToken));
        try
        {
            return await work();
        }
        finally
        {
            await connection.ExecuteAsync(new CommandDefinition("select pg_advisory_unlock(@key)", new { key }, cancellationToken: CancellationToken.None));
        }
    }

    public async Task<IReadOnlyList<DatasetCount>> CountsAsync(Guid datasetId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Factor, string Split, long Count)>(new CommandDefinition(
            "select factor, split, count(*) from examples where dataset_id = @datasetId group by factor, split order by factor, split",
            new { datasetId }, cancellationToken: cancellationToken));
        return rows.Select(r => new DatasetCount(r.Factor, r.Split, (int)r.Count)).ToList();
    }

    // Dapper fills these by property name (constructor matching is stricter about column types than the rows need).
    private sealed class DatasetRow
    {
        public Guid Id { get; init; }
        public string Name { get; init; } = "";
        public int TemplateVersion { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }
        public long Trials { get; init; }
    }

    public async Task<IReadOnlyList<DatasetSummary>> ListAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = (await connection.QueryAsync<DatasetRow>(new CommandDefinition(SelectDatasets + " order by d.created_at, d.name", cancellationToken: cancellationToken))).ToList();
        var summaries = new List<DatasetSummary>();
        foreach (var row in rows) summaries.Add(await SummaryAsync(row, cancellationToken));
        return summaries;
    }

    public async Task<DatasetSummary?> GetAsync(Guid datasetId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<DatasetRow>(new CommandDefinition(SelectDatasets + " where d.id = @datasetId",
            new { datasetId }, cancellationToken: cancellationToken));
        return row is null ? null : await SummaryAsync(row, cancellationToken);
    }

    private const string SelectDatasets = """
        select d.id as Id, d.name as Name, d.template_version as TemplateVersion, d.created_at as CreatedAt, d.updated_at as UpdatedAt,
               (select count(*) from dataset_trials t where t.dataset_id = d.id) as Trials
        from datasets d
        """;

    private async Task<DatasetSummary> SummaryAsync(DatasetRow row, CancellationToken cancellationToken)
    {
        var counts = await CountsAsync(row.Id, cancellationToken);
        return new DatasetSummary(row.Id, row.Name, row.TemplateVersion, counts, counts.Sum(c => c.Examples), (int)row.Trials,
            new DateTimeOffset(DateTime.SpecifyKind(row.CreatedAt, DateTimeKind.Utc)), new DateTimeOffset(DateTime.SpecifyKind(row.UpdatedAt, DateTimeKind.Utc)),
            await prompts.CountsAsync(row.Id, cancellationToken), await SourceCountsAsync(row.Id, cancellationToken));
    }

    private sealed class ExampleRow
    {
        public Guid Id { get; init; }
        public Guid DatasetId { get; init; }
        public string Factor { get; init; } = "";
        public string Split { get; init; } = "";
        public string[] TrialIds { get; init; } = [];
        public int TemplateVersion { get; init; }
        public string System { get; init; } = "";
        public string Prompt { get; init; } = "";
        public string Completion { get; init; } = "";
        public string ExpectedDirection { get; init; } = "";
        public double? ExpectedLogRatio { get; init; }
        public bool? ExpectedSignificant { get; init; }
        public string TraceSource { get; init; } = "";
    }

    /// <summary>A page of examples in stored order, after the example <paramref name="after"/> (exclusive) when given.</summary>
    public async Task<IReadOnlyList<StepExampleRecord>> ExamplesAsync(Guid datasetId, string? split, string? factor, Guid? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<ExampleRow>(new CommandDefinition("""
            select id as Id, dataset_id as DatasetId, factor as Factor, split as Split, trial_ids as TrialIds, template_version as TemplateVersion,
                   system as System, prompt as Prompt, completion as Completion, expected_direction as ExpectedDirection,
                   expected_log_ratio as ExpectedLogRatio, expected_significant as ExpectedSignificant, trace_source as TraceSource
            from examples
            where dataset_id = @datasetId and (@split::text is null or split = @split) and (@factor::text is null or factor = @factor)
              and seq > coalesce((select seq from examples where id = @after and dataset_id = @datasetId), 0)
            order by seq
            limit @limit
            """, new { datasetId, split, factor, after, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => new StepExampleRecord(r.Id, r.DatasetId, r.Factor, r.Split, r.TrialIds, r.TemplateVersion, r.System, r.Prompt,
            r.Completion, r.ExpectedDirection, r.ExpectedLogRatio, r.ExpectedSignificant, r.TraceSource)).ToList();
    }

    /// <summary>Whether an example id belongs to the dataset (an unknown <c>after</c> is a caller's mistake, not page one).</summary>
    public async Task<bool> HasExampleAsync(Guid datasetId, Guid exampleId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from examples where id = @exampleId and dataset_id = @datasetId)", new { datasetId, exampleId }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// The pretraining documents of a dataset: the registry text of its trials and its unlabelled articles (an
    /// article is train, unless labelled questions of the same pmcid sit in a held-out split: then that split). Ordered by
    /// a hash of the id, so the two sources interleave and a prefix (the tokenizer's character budget) holds both.
    /// </summary>
    public async Task<IReadOnlyList<CorpusDocument>> CorpusAsync(Guid datasetId, string? split, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Id, string Split, string Text, string Source)>(new CommandDefinition("""
            select id, split, text, source from (
                select t.trial_id as id, t.split, t.registry_text as text, @registry as source
                from dataset_trials d join trials t on t.trial_id = d.trial_id
                where d.dataset_id = @datasetId
                union all
                select a.pmcid, coalesce((select q.split from evidence_questions q where q.pmcid = a.pmcid
                                          order by case q.split when 'test' then 0 when 'validation' then 1 else 2 end limit 1), 'train'),
                       a.text, @article
                from dataset_articles d join articles a on a.pmcid = d.pmcid
                where d.dataset_id = @datasetId
            ) documents
            where @split::text is null or split = @split
            order by md5(id), id
            """, new { datasetId, split, registry = CorpusSources.Registry, article = CorpusSources.EvidenceInferenceArticle }, cancellationToken: cancellationToken));
        return rows.Select(r => new CorpusDocument(r.Id, r.Split, r.Text, r.Source)).ToList();
    }

    /// <summary>Examples per source (a mined pair, or an Evidence Inference question) and split.</summary>
    public async Task<IReadOnlyList<DatasetSourceCount>> SourceCountsAsync(Guid datasetId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Source, string Split, long Count)>(new CommandDefinition("""
            select case when pair_kind = @evidence then @evidence else @pairs end as source, split, count(*)
            from examples where dataset_id = @datasetId group by 1, split order by 1, split
            """, new { datasetId, evidence = ExampleSources.EvidenceInference, pairs = ExampleSources.Pairs }, cancellationToken: cancellationToken));
        return rows.Select(r => new DatasetSourceCount(r.Source, r.Split, (int)r.Count)).ToList();
    }

    /// <summary>Stores questions not stored yet (by prompt id); returns how many were added.</summary>
    public async Task<int> AddEvidenceQuestionsAsync(IReadOnlyList<(EvidenceInferenceQuestion Question, string Split)> questions, CancellationToken cancellationToken)
    {
        if (questions.Count == 0) return 0;
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("""
            insert into evidence_questions (prompt_id, pmcid, split, intervention, comparator, outcome, label, annotations)
            select * from unnest(@promptIds, @pmcids, @splits, @interventions, @comparators, @outcomes, @labels, @annotations)
            on conflict (prompt_id) do nothing
            """, new
        {
            promptIds = questions.Select(q => q.Question.PromptId).ToArray(),
            pmcids = questions.Select(q => q.Question.Pmcid).ToArray(),
            splits = questions.Select(q => q.Split).ToArray(),
            interventions = questions.Select(q => q.Question.Intervention).ToArray(),
            comparators = questions.Select(q => q.Question.Comparator).ToArray(),
            outcomes = questions.Select(q => q.Question.Outcome).ToArray(),
            labels = questions.Select(q => q.Question.Label!).ToArray(),
            annotations = questions.Select(q => q.Question.Annotations).ToArray(),
        }, cancellationToken: cancellationToken));
    }

    /// <summary>The stored labelled questions of a split (all when null), by prompt id.</summary>
    public async Task<IReadOnlyList<EvidenceInferenceQuestion>> EvidenceQuestionsAsync(string? split, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long PromptId, string Pmcid, string Intervention, string Comparator, string Outcome, string Label, int? Annotations)>(new CommandDefinition("""
            select prompt_id, pmcid, intervention, comparator, outcome, label, annotations from evidence_questions
            where @split::text is null or split = @split order by prompt_id
            """, new { split }, cancellationToken: cancellationToken));
        return rows.Select(r => new EvidenceInferenceQuestion(r.Pmcid, r.PromptId, r.Intervention, r.Comparator, r.Outcome, r.Label, r.Annotations)).ToList();
    }

    /// <summary>
    /// Stores articles not stored yet (by pmcid) and adds them to the dataset's corpus; returns how many the dataset
    /// gained and how many it holds.
    /// </summary>
    public async Task<(int Added, int Stored)> AddArticlesAsync(Guid datasetId, IReadOnlyList<EvidenceArticle> articles, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var pmcids = articles.Select(a => a.Pmcid).ToArray();
        await connection.ExecuteAsync(new CommandDefinition("""
            insert into articles (pmcid, text) select * from unnest(@pmcids, @texts) on conflict (pmcid) do nothing
            """, new { pmcids, texts = articles.Select(a => a.Text).ToArray() }, cancellationToken: cancellationToken));
        var added = await connection.ExecuteAsync(new CommandDefinition("""
            insert into dataset_articles (dataset_id, pmcid) select @datasetId, unnest(@pmcids) on conflict do nothing
            """, new { datasetId, pmcids }, cancellationToken: cancellationToken));
        var stored = await connection.ExecuteScalarAsync<long>(new CommandDefinition("select count(*) from dataset_articles where dataset_id = @datasetId",
            new { datasetId }, cancellationToken: cancellationToken));
        return (added, (int)stored);
    }
}
