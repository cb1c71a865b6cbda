using System.Text.Json;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.Imagining;
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
                e.Id, e.DatasetId, e.PairKey, PairKind = e.Step.Pair.Kind, e.Step.Pair.Relation, e.Step.Orientation, e.Step.Factor, e.Split,
                TrialIds = e.TrialIds.ToArray(), e.Prompt.TemplateVersion, e.Prompt.System, Prompt = e.Prompt.User, e.Completion,
                Direction = StepFormat.Word(e.Step.Observed.Direction), e.Step.Observed.LogRatio, e.Step.Observed.Significant,
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
            await prompts.CountsAsync(row.Id, cancellationToken));
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

    public async Task<IReadOnlyList<CorpusDocument>> CorpusAsync(Guid datasetId, string? split, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string TrialId, string Split, string Text)>(new CommandDefinition("""
            select t.trial_id, t.split, t.registry_text from dataset_trials d join trials t on t.trial_id = d.trial_id
            where d.dataset_id = @datasetId and (@split::text is null or t.split = @split)
            order by t.trial_id
            """, new { datasetId, split }, cancellationToken: cancellationToken));
        return rows.Select(r => new CorpusDocument(r.TrialId, r.Split, r.Text)).ToList();
    }
}
