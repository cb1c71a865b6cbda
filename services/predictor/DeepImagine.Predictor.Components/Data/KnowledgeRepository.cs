using System.Text.Json;
using Dapper;
using DeepImagine.Imagining.Questions;
using DeepImagine.Predictor.Engine;
using DeepImagine.Trials;
using Npgsql;

namespace DeepImagine.Predictor.Data;

/// <summary>
/// The predictor's own knowledge store (schema predictor): endpoints with known answers and the registry words they are
/// found by (full-text over interventions, conditions, title and endpoint; intervention keys; title trigrams). The
/// database returns candidates; <see cref="AnchorRanking"/> ranks them, the same way for every source.
/// </summary>
public sealed class KnowledgeRepository(NpgsqlDataSource db) : IAnchorSource
{
    public const string TrialSource = "trial";
    public const string CtOpenSource = "ct-open";

    private (DateTime At, List<KnowledgeItem> Items)? answered;

    /// <summary>Adds or replaces the endpoints of one trial or benchmark item (keyed by NCT id and endpoint key).</summary>
    public async Task<int> UpsertAsync(IReadOnlyList<KnowledgeItem> items, string source, CancellationToken cancellationToken)
    {
        if (items.Count == 0) return 0;
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        foreach (var k in items)
        {
            await connection.ExecuteAsync(new CommandDefinition("""
                insert into knowledge (nct_id, endpoint_key, source, item, trial, results_date, title, interventions, registry_text)
                values (@NctId, @EndpointKey, @Source, @Item::jsonb, @Trial::jsonb, @ResultsDate, @Title, @Interventions, @RegistryText)
                on conflict (nct_id, endpoint_key) do update set source = excluded.source, item = excluded.item, trial = excluded.trial,
                    results_date = excluded.results_date, title = excluded.title, interventions = excluded.interventions,
                    registry_text = excluded.registry_text, updated_at = now()
                """, new
            {
                k.Item.NctId,
                k.Item.EndpointKey,
                Source = source,
                Item = JsonSerializer.Serialize(k.Item),
                Trial = k.Trial is null ? null : TrialJson.Serialize(k.Trial),
                k.ResultsDate,
                Title = k.Item.BriefTitle ?? "",
                Interventions = AnchorRanking.InterventionKeys(k.Item).ToArray(),
                RegistryText = AnchorRanking.RegistryText(k.Item, k.Trial),
            }, transaction, cancellationToken: cancellationToken));
        }
        await transaction.CommitAsync(cancellationToken);
        return items.Count;
    }

    public async Task<long> CountAsync(CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<long>(new CommandDefinition("select count(*) from knowledge", cancellationToken: cancellationToken));
    }

    /// <summary>A stored trial's registry data, when the predictor has it (for a target given by NCT id).</summary>
    public async Task<Trial?> TrialAsync(string nctId, CancellationToken cancellationToken)
    {
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        var json = await connection.QueryFirstOrDefaultAsync<string?>(new CommandDefinition(
            "select trial::text from knowledge where nct_id = @nctId and trial is not null order by updated_at desc limit 1", new { nctId }, cancellationToken: cancellationToken));
        return json is null ? null : TrialJson.Deserialize(json);
    }

    public async Task<IReadOnlyList<KnowledgeItem>> CandidatesAsync(PredictionTarget target, int limit, CancellationToken cancellationToken)
    {
        var words = AnchorRanking.Words(target.Item, target.Trial);
        // Words are [a-z0-9]{3,} (AnchorRanking.Words), so they are safe tsquery terms; any of them may match.
        var query = string.Join(" | ", words.Order(StringComparer.Ordinal));
        await using var connection = await db.OpenConnectionAsync(cancellationToken);
        // Ranked on the keys first, then only the chosen rows' documents are read: a trial's JSON is tens of kilobytes,
        // and reading it for every matching row before the limit made the query several times slower.
        var rows = await connection.QueryAsync<(string Item, string? Trial, DateOnly? ResultsDate)>(new CommandDefinition("""
            with ranked as (
                select nct_id, endpoint_key,
                       (case when @Query <> '' then ts_rank(document, to_tsquery('english', @Query)) else 0 end)
                       + (case when interventions && @Interventions then 1 else 0 end)
                       + public.similarity(title, @Title) as score
                from knowledge
                where nct_id <> @NctId
                  and (@Cutoff::date is null or results_date is null or results_date <= @Cutoff::date)
                  and ((@Query <> '' and document @@ to_tsquery('english', @Query))
                       or interventions && @Interventions
                       or title operator(public.%) @Title)
                order by score desc, nct_id, endpoint_key
                limit @Limit)
            select k.item::text, k.trial::text, k.results_date
            from ranked r join knowledge k using (nct_id, endpoint_key)
            order by r.score desc, r.nct_id, r.endpoint_key
            """, new
        {
            target.NctId,
            target.Cutoff,
            Query = query,
            Interventions = AnchorRanking.InterventionKeys(target.Item).ToArray(),
            Title = target.Item.BriefTitle ?? "",
            Limit = limit,
        }, cancellationToken: cancellationToken));
        return rows.Select(r => new KnowledgeItem(
            JsonSerializer.Deserialize<CtOpenItem>(r.Item)!,
            r.Trial is null ? null : TrialJson.Deserialize(r.Trial),
            r.ResultsDate)).ToList();
    }

    public async Task<double[]> ClassPriorAsync(string questionClass, int optionCount, CancellationToken cancellationToken)
    {
        // The answers of every known question (a few thousand rows): counted in code by the one class rule, read at most once a minute.
        if (answered is not { } cached || DateTime.UtcNow - cached.At > TimeSpan.FromMinutes(1))
        {
            await using var connection = await db.OpenConnectionAsync(cancellationToken);
            var rows = await connection.QueryAsync<string>(new CommandDefinition("select item::text from knowledge", cancellationToken: cancellationToken));
            cached = (DateTime.UtcNow, rows.Select(r => new KnowledgeItem(JsonSerializer.Deserialize<CtOpenItem>(r)!, null, null)).ToList());
            answered = cached;
        }
        return ClassPrior.Of(cached.Items, questionClass, optionCount);
    }
}
