using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.TraceGenerator.Examples;
using Npgsql;

namespace DeepImagine.TraceGenerator.Data;

/// <summary>Verifiable prompts (RL) in schema trace_generator. The one insert path for every kind; inserts are idempotent.</summary>
public sealed class PromptRepository(NpgsqlDataSource dataSource)
{
    /// <summary>
    /// Stores the prompts not stored yet (by <see cref="VerifiablePromptRecord.PromptId"/>) and returns how many were
    /// added. The dataset must exist (<see cref="DatasetRepository.EnsureDatasetAsync"/>). A malformed record is refused
    /// before anything is written, naming the prompt and the field.
    /// </summary>
    public async Task<int> AddPromptsAsync(IReadOnlyList<VerifiablePromptRecord> prompts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        foreach (var prompt in prompts) Validate(prompt);
        if (prompts.Count == 0) return 0;
        var unique = prompts.DistinctBy(p => p.PromptId).ToList();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        // One statement per batch; options are carried as one JSON array per row (unnest cannot take a ragged text[][]).
        return await connection.ExecuteAsync(new CommandDefinition("""
            insert into verifiable_prompts (id, dataset_id, kind, factor, split, source_ids, template_version, system, prompt, options,
                                            gold_direction, gold_significant, gold_log_ratio, gold_option_index)
            select p.id, p.dataset_id, p.kind, p.factor, p.split, array(select jsonb_array_elements_text(p.source_ids)), p.template_version,
                   p.system, p.prompt,
                   case when p.options is null then null else array(select jsonb_array_elements_text(p.options)) end,
                   p.gold_direction, p.gold_significant, p.gold_log_ratio, p.gold_option_index
            from unnest(@ids, @datasetIds, @kinds, @factors, @splits, @sourceIds::jsonb[], @templateVersions, @systems, @texts, @options::jsonb[],
                        @directions, @significants, @logRatios, @optionIndexes)
                 as p (id, dataset_id, kind, factor, split, source_ids, template_version, system, prompt, options,
                       gold_direction, gold_significant, gold_log_ratio, gold_option_index)
            on conflict (id) do nothing
            """, new
        {
            ids = unique.Select(p => p.PromptId).ToArray(),
            datasetIds = unique.Select(p => p.DatasetId).ToArray(),
            kinds = unique.Select(p => p.Kind).ToArray(),
            factors = unique.Select(p => p.Factor).ToArray(),
            splits = unique.Select(p => p.Split).ToArray(),
            sourceIds = unique.Select(p => System.Text.Json.JsonSerializer.Serialize(p.SourceIds)).ToArray(),
            templateVersions = unique.Select(p => p.TemplateVersion).ToArray(),
            systems = unique.Select(p => p.System).ToArray(),
            texts = unique.Select(p => p.Prompt).ToArray(),
            options = unique.Select(p => p.Options is null ? null : System.Text.Json.JsonSerializer.Serialize(p.Options)).ToArray(),
            directions = unique.Select(p => p.Gold.Direction).ToArray(),
            significants = unique.Select(p => p.Gold.Significant).ToArray(),
            logRatios = unique.Select(p => p.Gold.LogRatio).ToArray(),
            optionIndexes = unique.Select(p => p.Gold.OptionIndex).ToArray(),
        }, cancellationToken: cancellationToken));
    }

    /// <summary>A page of a dataset's prompts in stored order, after the prompt <paramref name="after"/> (exclusive) when given.</summary>
    public async Task<IReadOnlyList<VerifiablePromptRecord>> PromptsAsync(Guid datasetId, string? split, string? kind, Guid? after, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<PromptRow>(new CommandDefinition(SelectPrompts + """
            where dataset_id = @datasetId and (@split::text is null or split = @split) and (@kind::text is null or kind = @kind)
              and seq > coalesce((select seq from verifiable_prompts where id = @after and dataset_id = @datasetId), 0)
            order by seq
            limit @limit
            """, new { datasetId, split, kind, after, limit }, cancellationToken: cancellationToken));
        return rows.Select(r => r.ToRecord()).ToList();
    }

    public async Task<VerifiablePromptRecord?> GetAsync(Guid promptId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QuerySingleOrDefaultAsync<PromptRow>(new CommandDefinition(SelectPrompts + " where id = @promptId",
            new { promptId }, cancellationToken: cancellationToken));
        return row?.ToRecord();
    }

    /// <summary>Whether a prompt id belongs to the dataset (an unknown <c>after</c> is a caller's mistake, not page one).</summary>
    public async Task<bool> HasPromptAsync(Guid datasetId, Guid promptId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition(
            "select exists (select 1 from verifiable_prompts where id = @promptId and dataset_id = @datasetId)", new { datasetId, promptId }, cancellationToken: cancellationToken));
    }

    public async Task<IReadOnlyList<PromptCount>> CountsAsync(Guid datasetId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string Kind, string Split, long Count)>(new CommandDefinition(
            "select kind, split, count(*) from verifiable_prompts where dataset_id = @datasetId group by kind, split order by kind, split",
            new { datasetId }, cancellationToken: cancellationToken));
        return rows.Select(r => new PromptCount(r.Kind, r.Split, (int)r.Count)).ToList();
    }

    /// <summary>Refuses a record that could not be scored or served, naming the prompt and the field.</summary>
    public static void Validate(VerifiablePromptRecord prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var id = $"prompt {prompt.PromptId}";
        if (prompt.PromptId == Guid.Empty) throw new ArgumentException($"{id}: promptId is empty");
        if (!VerifiablePromptKinds.All.Contains(prompt.Kind))
            throw new ArgumentException($"{id}: kind '{prompt.Kind}' is not one of {string.Join(", ", VerifiablePromptKinds.All)}");
        if (!TrialSplit.All.Contains(prompt.Split))
            throw new ArgumentException($"{id}: split '{prompt.Split}' is not one of {string.Join(", ", TrialSplit.All)}");
        if (prompt.SourceIds is not { Count: > 0 } || prompt.SourceIds.Any(string.IsNullOrWhiteSpace))
            throw new ArgumentException($"{id}: sourceIds is empty or holds an empty id");
        if (string.IsNullOrWhiteSpace(prompt.System)) throw new ArgumentException($"{id}: system is empty");
        if (string.IsNullOrWhiteSpace(prompt.Prompt)) throw new ArgumentException($"{id}: prompt is empty");
        if (prompt.Gold is null) throw new ArgumentException($"{id}: gold is missing");
        if (VerifiablePromptKinds.IsQuestion(prompt.Kind))
        {
            if (prompt.Options is not { Count: >= 2 } || prompt.Options.Any(string.IsNullOrWhiteSpace))
                throw new ArgumentException($"{id}: options must list at least 2 non-empty options for a {prompt.Kind} question");
            if (prompt.Gold.OptionIndex is { } index && (index < 0 || index >= prompt.Options.Count))
                throw new ArgumentException($"{id}: gold.optionIndex {index} is outside 0-{prompt.Options.Count - 1}");
        }
        else if (prompt.Gold.OptionIndex is not null || prompt.Options is not null)
        {
            throw new ArgumentException($"{id}: a {prompt.Kind} prompt has no options and no gold.optionIndex");
        }
        if (prompt.Gold.Direction is { } direction && direction is not ("higher" or "lower" or "same"))
            throw new ArgumentException($"{id}: gold.direction '{direction}' is not higher, lower or same");
        if (prompt.Gold.LogRatio is { } r && !double.IsFinite(r))
            throw new ArgumentException($"{id}: gold.logRatio {r} is not a finite number");
    }

    private const string SelectPrompts = """
        select id as Id, dataset_id as DatasetId, kind as Kind, factor as Factor, split as Split, source_ids as SourceIds,
               template_version as TemplateVersion, system as System, prompt as Prompt, options as Options,
               gold_direction as GoldDirection, gold_significant as GoldSignificant, gold_log_ratio as GoldLogRatio, gold_option_index as GoldOptionIndex
        from verifiable_prompts

        """;

    // Dapper fills these by property name.
    private sealed class PromptRow
    {
        public Guid Id { get; init; }
        public Guid DatasetId { get; init; }
        public string Kind { get; init; } = "";
        public string? Factor { get; init; }
        public string Split { get; init; } = "";
        public string[] SourceIds { get; init; } = [];
        public int TemplateVersion { get; init; }
        public string System { get; init; } = "";
        public string Prompt { get; init; } = "";
        public string[]? Options { get; init; }
        public string? GoldDirection { get; init; }
        public bool? GoldSignificant { get; init; }
        public double? GoldLogRatio { get; init; }
        public int? GoldOptionIndex { get; init; }

        public VerifiablePromptRecord ToRecord() => new(Id, DatasetId, Kind, Factor, Split, SourceIds, TemplateVersion, System, Prompt, Options,
            new VerifiableAnswer(GoldDirection, GoldSignificant, GoldLogRatio, GoldOptionIndex));
    }
}
