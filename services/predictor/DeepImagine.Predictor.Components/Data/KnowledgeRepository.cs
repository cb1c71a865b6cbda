using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Caching.Memory;
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
        // Ranked on the keys alone; the documents (a trial's JSON averages 64 KB, about 50 candidates a request) are read
        // and parsed only for rows not parsed before at the same version: the same anchors come back request after request.
        var keys = (await connection.QueryAsync<(string NctId, string EndpointKey, DateTime UpdatedAt)>(new CommandDefinition("""
            select nct_id, endpoint_key, updated_at
            from knowledge
            where nct_id <> @NctId
              and (@Cutoff::date is null or results_date is null or results_date <= @Cutoff::date)
              and ((@Query <> '' and document @@ to_tsquery('english', @Query))
                   or interventions && @Interventions
                   or title operator(public.%) @Title)
            order by (case when @Query <> '' then ts_rank(document, to_tsquery('english', @Query)) else 0 end)
                     + (case when interventions && @Interventions then 1 else 0 end)
                     + public.similarity(title, @Title) desc, nct_id, endpoint_key
            limit @Limit
            """, new
        {
            target.NctId,
            target.Cutoff,
            Query = query,
            Interventions = AnchorRanking.InterventionKeys(target.Item).ToArray(),
            Title = target.Item.BriefTitle ?? "",
            Limit = limit,
        }, cancellationToken: cancellationToken))).ToList();
        var found = new Dictionary<(string, string), KnowledgeItem>();
        var missing = new List<(string NctId, string EndpointKey)>();
        foreach (var key in keys)
        {
            if (parsed.TryGetValue((key.NctId, key.EndpointKey), out ParsedKnowledge? known) && known!.UpdatedAt == key.UpdatedAt) found[(key.NctId, key.EndpointKey)] = known.Item;
            else missing.Add((key.NctId, key.EndpointKey));
        }
        if (missing.Count > 0)
        {
            var rows = await connection.QueryAsync<(string NctId, string EndpointKey, DateTime UpdatedAt, string Item, string? Trial, DateOnly? ResultsDate)>(new CommandDefinition("""
                select k.nct_id, k.endpoint_key, k.updated_at, k.item::text, k.trial::text, k.results_date
                from knowledge k join unnest(@NctIds, @EndpointKeys) as wanted(nct_id, endpoint_key) using (nct_id, endpoint_key)
                """, new
            {
                NctIds = missing.Select(m => m.NctId).ToArray(),
                EndpointKeys = missing.Select(m => m.EndpointKey).ToArray(),
            }, cancellationToken: cancellationToken));
            foreach (var r in rows)
            {
                var item = new KnowledgeItem(JsonSerializer.Deserialize<CtOpenItem>(r.Item)!, r.Trial is null ? null : TrialJson.Deserialize(r.Trial), r.ResultsDate);
                parsed.Set((r.NctId, r.EndpointKey), new ParsedKnowledge(r.UpdatedAt, item), new MemoryCacheEntryOptions { Size = 1 });
                found[(r.NctId, r.EndpointKey)] = item;
            }
        }
        // In rank order; a row removed between the two reads is left out.
        return keys.Where(k => found.ContainsKey((k.NctId, k.EndpointKey))).Select(k => found[(k.NctId, k.EndpointKey)]).ToList();
    }

    /// <summary>Parsed knowledge rows kept between requests (by NCT id and endpoint key, valid for one <c>updated_at</c>).</summary>
    public const int ParsedCapacity = 2048;
    private readonly MemoryCache parsed = new(new MemoryCacheOptions { SizeLimit = ParsedCapacity });

    private sealed record ParsedKnowledge(DateTime UpdatedAt, KnowledgeItem Item);

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
