using System.Text.Json;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.Pairs;
using DeepImagine.Trials;
using Npgsql;

namespace DeepImagine.PairMiner.Components.Data;

/// <summary>
/// Counterfactual pairs in pair-miner's schema. Inserts are set-based (<c>unnest</c>) and idempotent by pair key. The
/// sides and labels are kept as the domain's JSON (<see cref="TrialJson"/>) and read back into the domain pair; the wire
/// contract (<see cref="PairRecord"/>) is mapped from it at the API.
/// </summary>
public sealed class PairRepository(NpgsqlDataSource dataSource) : IPairStore
{
    /// <summary>Candidates fetched per matching rule before scoring; bounds retrieval cost as the store grows.</summary>
    public const int CandidateLimit = 200;

    /// <summary>
    /// The <paramref name="k"/> most similar other trials (latest versions with results) that share a normalized
    /// intervention or condition, scored by how many factors match. Runs on the partial GIN indexes.
    /// </summary>
    public async Task<IReadOnlyList<(long RowId, int Score)>> FindNeighboursAsync(TrialFeatures self, int k, CancellationToken cancellationToken = default)
    {
        if (self.Interventions.Length == 0 && self.Conditions.Length == 0) return [];
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long, int)>(new CommandDefinition("""
            with candidates as (
                (select id from trials where is_latest and has_results and interventions && @Interventions limit @CandidateLimit)
                union
                (select id from trials where is_latest and has_results and condition_keys && @Conditions limit @CandidateLimit))
            select t.id,
                   2 * (t.interventions && @Interventions)::int
                   + (t.condition_keys && @Conditions)::int
                   + (t.phases = @Phases)::int
                   + (t.countries && @Countries)::int
                   + (t.sex is not distinct from @Sex)::int
                   + (t.masking is not distinct from @Masking)::int
                   + (t.allocation is not distinct from @Allocation)::int
                   + coalesce(abs(ln(greatest(t.enrollment, 1)::float8 / greatest(@Enrollment, 1))) < 0.7, false)::int as score
            from trials t join candidates c on c.id = t.id
            where t.id <> @RowId and not (t.source = @Source and t.source_record_id = @SourceRecordId)
            order by score desc, t.id desc
            limit @K
            """, new
        {
            self.Interventions, self.Conditions, self.Phases, self.Countries, self.Sex, self.Masking, self.Allocation,
            Enrollment = self.Enrollment ?? 0, self.RowId, self.Source, self.SourceRecordId, K = k, CandidateLimit,
        }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>
    /// Stores the pairs mined for one trial version and marks it mined, in one transaction. Pairs already stored (same key)
    /// are left as they are; pairs of earlier versions of the same record are removed. Returns the ids of the new pairs, ascending.
    /// </summary>
    public async Task<IReadOnlyList<long>> StoreMinedAsync(TrialRef mined, IReadOnlyCollection<CounterfactualPair> pairs, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = new List<long>();
        foreach (var chunk in pairs.Chunk(2000))
        {
            inserted.AddRange(await connection.QueryAsync<long>(new CommandDefinition("""
                insert into pairs (pair_key, kind, factors, relation, a_trial_row, b_trial_row, a_trial_id, b_trial_id, direction,
                                   higher_is_better, b_is_better, significant, similarity, a, b, comparison, label)
                select k, kind, string_to_array(f, ','), rel, ar, br, ai, bi, dir, hib, bib, sig, sim, a::jsonb, b::jsonb, c::jsonb, l::jsonb
                from unnest(@Keys, @Kinds, @Factors, @Relations, @ARows, @BRows, @AIds, @BIds, @Directions, @HigherIsBetter, @BIsBetter,
                            @Significant, @Similarity, @A, @B, @Comparisons, @Labels)
                     as u(k, kind, f, rel, ar, br, ai, bi, dir, hib, bib, sig, sim, a, b, c, l)
                on conflict (pair_key) do nothing
                returning id
                """, new
            {
                Keys = chunk.Select(p => p.Key).ToArray(),
                Kinds = chunk.Select(p => p.Kind).ToArray(),
                Factors = chunk.Select(p => string.Join(',', p.Factors)).ToArray(),
                Relations = chunk.Select(p => p.Relation).ToArray(),
                ARows = chunk.Select(p => p.A.TrialRowId).ToArray(),
                BRows = chunk.Select(p => p.B.TrialRowId).ToArray(),
                AIds = chunk.Select(p => p.A.TrialId).ToArray(),
                BIds = chunk.Select(p => p.B.TrialId).ToArray(),
                Directions = chunk.Select(p => p.Direction.Direction).ToArray(),
                HigherIsBetter = chunk.Select(p => p.Direction.HigherIsBetter).ToArray(),
                BIsBetter = chunk.Select(p => p.Direction.BIsBetter).ToArray(),
                Significant = chunk.Select(p => p.Direction.Significant).ToArray(),
                Similarity = chunk.Select(p => p.Similarity).ToArray(),
                A = chunk.Select(p => JsonSerializer.Serialize(p.A, TrialJson.Options)).ToArray(),
                B = chunk.Select(p => JsonSerializer.Serialize(p.B, TrialJson.Options)).ToArray(),
                Comparisons = chunk.Select(p => p.Comparison is null ? null : JsonSerializer.Serialize(p.Comparison, TrialJson.Options)).ToArray(),
                Labels = chunk.Select(p => JsonSerializer.Serialize(p.Direction, TrialJson.Options)).ToArray(),
            }, transaction, cancellationToken: cancellationToken)));
        }
        inserted.Sort();
        await connection.ExecuteAsync(new CommandDefinition("""
            delete from pairs p using trials old
            where old.source = @Source and old.source_record_id = @SourceRecordId and old.version < @Version
              and (p.a_trial_row = old.id or p.b_trial_row = old.id);
            update trials set mined_at = now() where id = @RowId;
            """, new { mined.Source, mined.SourceRecordId, mined.Version, mined.RowId }, transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return inserted;
    }

    /// <summary>Forgets every pair and every trial's mined mark, so that the trials can be mined afresh (after the miner changed).</summary>
    public async Task<IReadOnlyList<LatestVersion>> ResetMiningAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await connection.ExecuteAsync(new CommandDefinition("truncate pairs; update trials set mined_at = null where mined_at is not null;", transaction: transaction, cancellationToken: cancellationToken));
        var latest = await connection.QueryAsync<LatestVersion>(new CommandDefinition(
            """
            select trial_id as TrialId, source as Source, source_record_id as SourceRecordId, version as Version,
                   content_hash as ContentHash, has_results as HasResults
            from trials where is_latest order by id
            """,
            transaction: transaction, cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return latest.ToList();
    }

    public async Task<bool> IsMinedAsync(long trialRowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteScalarAsync<bool>(new CommandDefinition("select mined_at is not null from trials where id = @trialRowId", new { trialRowId }, cancellationToken: cancellationToken));
    }

    /// <summary>Pairs that involve one trial version, by kind and factor.</summary>
    public async Task<IReadOnlyList<PairCount>> CountsForTrialAsync(long trialRowId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string, string, long)>(new CommandDefinition("""
            select kind, f, count(*) from pairs, unnest(factors) f
            where a_trial_row = @trialRowId or b_trial_row = @trialRowId
            group by kind, f order by kind, f
            """, new { trialRowId }, cancellationToken: cancellationToken));
        return rows.Select(r => new PairCount(r.Item1, r.Item2, (int)r.Item3)).ToList();
    }

    /// <summary>Counts of all stored pairs by kind and factor (a pair differing in two factors counts under each).</summary>
    public async Task<IReadOnlyList<PairCount>> StatsAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string, string, long)>(new CommandDefinition(
            "select kind, f, count(*) from pairs, unnest(factors) f group by kind, f order by kind, f", cancellationToken: cancellationToken));
        return rows.Select(r => new PairCount(r.Item1, r.Item2, (int)r.Item3)).ToList();
    }

    /// <summary>Pairs of a trial (latest version, either side), optionally of one kind and factor.</summary>
    public async Task<IReadOnlyList<StoredPair>> ForTrialAsync(string trialId, string? kind, string? factor, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<PairRow>(new CommandDefinition(SelectPairs + """
             where (p.a_trial_id = @trialId or p.b_trial_id = @trialId)
               and (@kind::text is null or p.kind = @kind) and (@factor::text is null or @factor = any(p.factors))
             order by p.id
            """, new { trialId, kind, factor }, cancellationToken: cancellationToken));
        return rows.Select(ToStoredPair).ToList();
    }

    /// <summary>Up to <paramref name="limit"/> pairs with id above <paramref name="after"/>, optionally of one kind and factor, in id order.</summary>
    public async Task<IReadOnlyList<StoredPair>> PageAsync(long after, int limit, string? kind, string? factor, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<PairRow>(new CommandDefinition(SelectPairs + """
             where p.id > @after and (@kind::text is null or p.kind = @kind) and (@factor::text is null or @factor = any(p.factors))
             order by p.id
             limit @limit
            """, new { after, limit, kind, factor }, cancellationToken: cancellationToken));
        return rows.Select(ToStoredPair).ToList();
    }

    /// <summary>The pairs with these ids (those that exist), in id order.</summary>
    public async Task<IReadOnlyList<StoredPair>> ByIdsAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        if (ids.Count == 0) return [];
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<PairRow>(new CommandDefinition(SelectPairs + " where p.id = any(@ids) order by p.id",
            new { ids = ids.ToArray() }, cancellationToken: cancellationToken));
        return rows.Select(ToStoredPair).ToList();
    }

    private const string SelectPairs = """
        select p.id as Id, p.kind as Kind, p.factors as Factors, p.relation as Relation, p.similarity as Similarity,
               p.a::text as A, p.b::text as B, p.comparison::text as Comparison, p.label::text as Label
        from pairs p
        """;

    // Settable properties: Dapper cannot match a constructor to a text[] column (its field type is Array).
    private sealed class PairRow
    {
        public long Id { get; init; }
        public string Kind { get; init; } = "";
        public string[] Factors { get; init; } = [];
        public string Relation { get; init; } = "";
        public double Similarity { get; init; }
        public string A { get; init; } = "";
        public string B { get; init; } = "";
        public string? Comparison { get; init; }
        public string Label { get; init; } = "";
    }

    private static StoredPair ToStoredPair(PairRow r) => new(r.Id, new CounterfactualPair
    {
        Kind = r.Kind,
        Factors = r.Factors,
        Relation = r.Relation,
        Similarity = r.Similarity,
        A = Read<PairSide>(r.A, r.Id, "a"),
        B = Read<PairSide>(r.B, r.Id, "b"),
        Comparison = r.Comparison is null ? null : Read<PairComparison>(r.Comparison, r.Id, "comparison"),
        Direction = Read<DirectionLabel>(r.Label, r.Id, "label"),
    });

    private static T Read<T>(string json, long id, string column) =>
        JsonSerializer.Deserialize<T>(json, TrialJson.Options) ?? throw new JsonException($"pair {id}: column '{column}' is null");
}
