using System.Security.Cryptography;
using System.Text;
using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.Pairs;
using DeepImagine.Trials;
using Npgsql;

namespace DeepImagine.PairMiner.Components.Data;

/// <summary>Trials in pair-miner's schema (Dapper). Writes are idempotent per (source, record id, content hash).</summary>
public sealed class TrialRepository(NpgsqlDataSource dataSource) : ITrialStore
{
    /// <summary>The content hash a record is stored under: SHA-256 of its text with line endings normalized.</summary>
    public static string ContentHash(string record)
    {
        var normalized = record.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalized)));
    }

    /// <summary>Concurrent new versions of one record a store call will renumber past before it gives up.</summary>
    private const int MaxVersionRaces = 10;

    private const string InsertSql = """
        with existing as (
            select id, version from trials
            where source = @Source and source_record_id = @SourceRecordId and content_hash = @ContentHash),
        inserted as (
            insert into trials (trial_id, source, source_record_id, version, content_hash, format, nct_id, title,
                                phases, conditions, interventions, countries, enrollment, start_date, has_results,
                                document, raw_record, correlation_id,
                                condition_keys, sex, min_age_years, max_age_years, masking, allocation, is_latest)
            select @TrialId, @Source, @SourceRecordId,
                   coalesce((select max(version) from trials where source = @Source and source_record_id = @SourceRecordId), 0) + 1,
                   @ContentHash, @Format, @NctId, @Title, @Phases, @Conditions, @Interventions, @Countries, @Enrollment,
                   @StartDate, @HasResults, @Document::jsonb, @RawRecord, @CorrelationId,
                   @ConditionKeys, @Sex, @MinAgeYears, @MaxAgeYears, @Masking, @Allocation, true
            where not exists (select 1 from existing)
            on conflict (source, source_record_id, content_hash) do nothing
            returning id, version),
        retired as (
            -- The statement's snapshot does not see the new row, so only earlier versions are retired.
            update trials set is_latest = false
            where source = @Source and source_record_id = @SourceRecordId and is_latest and exists (select 1 from inserted))
        select id, version, true as is_new from inserted
        union all
        select id, version, false from existing
        """;

    /// <summary>
    /// Stores the record unless the same content is already stored; a changed record becomes the next version.
    /// Safe to call again for the same message (redelivery) and from concurrent consumers.
    /// </summary>
    public async Task<StoreResult> StoreAsync(Trial trial, string rawRecord, Guid correlationId, CancellationToken cancellationToken = default)
    {
        var hash = ContentHash(rawRecord);
        var args = Parameters(trial, rawRecord, hash, correlationId);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var contentRaces = 0;
        for (var attempt = 0; ; attempt++)
        {
            (long Id, int Version, bool IsNew)? row;
            try
            {
                row = await connection.QuerySingleOrDefaultAsync<(long Id, int Version, bool IsNew)?>(
                    new CommandDefinition(InsertSql, args, cancellationToken: cancellationToken));
            }
            catch (PostgresException ex) when (ex is { SqlState: PostgresErrorCodes.UniqueViolation, ConstraintName: "trials_record_version_unique" }
                                               && attempt < MaxVersionRaces)
            {
                // Another content of the same record took this version number first (it is committed now): number again.
                continue;
            }
            if (row is { } r) return new StoreResult(r.Id, r.Version, hash, r.IsNew);
            // A concurrent writer stored the same content between our look-up and insert: read it back.
            if (contentRaces++ > 0) throw new InvalidOperationException($"record '{trial.SourceRecordId}' could not be stored or found");
        }
    }

    private static object Parameters(Trial trial, string rawRecord, string hash, Guid correlationId) => new
    {
        trial.TrialId,
        trial.Source,
        trial.SourceRecordId,
        ContentHash = hash,
        Format = trial.Format.ToString(),
        trial.NctId,
        trial.Title,
        Phases = trial.Phases.ToArray(),
        Conditions = trial.Conditions.ToArray(),
        Interventions = TrialFeatures.InterventionNames(trial),
        Countries = trial.Countries.ToArray(),
        trial.Enrollment,
        trial.StartDate,
        trial.HasResults,
        Document = TrialJson.Serialize(trial),
        RawRecord = rawRecord,
        CorrelationId = correlationId,
        ConditionKeys = TrialFeatures.ConditionKeys(trial),
        trial.Eligibility.Sex,
        MinAgeYears = trial.Eligibility.MinimumAge?.Years,
        MaxAgeYears = trial.Eligibility.MaximumAge?.Years,
        trial.Design.Masking,
        trial.Design.Allocation,
    };

    /// <summary>The newest stored version of a trial, by trial id or source record id.</summary>
    public async Task<StoredTrial?> GetLatestAsync(string trialId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<(long Id, int Version, string ContentHash, DateTime StoredAt, string Document)?>(
            new CommandDefinition("""
                select id, version, content_hash, stored_at, document::text
                from trials where trial_id = @trialId or source_record_id = @trialId
                order by version desc, stored_at desc limit 1
                """, new { trialId }, cancellationToken: cancellationToken));
        return row is { } r ? ToStored(r) : null;
    }

    private static StoredTrial ToStored((long Id, int Version, string ContentHash, DateTime StoredAt, string Document) row) =>
        new(row.Id, row.Version, row.ContentHash, new DateTimeOffset(DateTime.SpecifyKind(row.StoredAt, DateTimeKind.Utc)), TrialJson.Deserialize(row.Document));

    /// <summary>One stored version of a record, or null.</summary>
    public async Task<StoredTrial?> GetVersionAsync(string source, string sourceRecordId, int version, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var row = await connection.QueryFirstOrDefaultAsync<(long Id, int Version, string ContentHash, DateTime StoredAt, string Document)?>(new CommandDefinition(
            "select id, version, content_hash, stored_at, document::text from trials where source = @source and source_record_id = @sourceRecordId and version = @version",
            new { source, sourceRecordId, version }, cancellationToken: cancellationToken));
        return row is { } r ? ToStored(r) : null;
    }

    /// <summary>Stored trials by row id (any order).</summary>
    public async Task<IReadOnlyList<StoredTrial>> LoadAsync(IReadOnlyCollection<long> ids, CancellationToken cancellationToken = default)
    {
        if (ids.Count == 0) return [];
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(long Id, int Version, string ContentHash, DateTime StoredAt, string Document)>(new CommandDefinition(
            "select id, version, content_hash, stored_at, document::text from trials where id = any(@ids)", new { ids = ids.ToArray() }, cancellationToken: cancellationToken));
        return rows.Select(ToStored).ToList();
    }

    /// <summary>Every stored version of one record, oldest first.</summary>
    public async Task<IReadOnlyList<(int Version, string ContentHash)>> VersionsAsync(string source, string sourceRecordId, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(int, string)>(new CommandDefinition(
            "select version, content_hash from trials where source = @source and source_record_id = @sourceRecordId order by version",
            new { source, sourceRecordId }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>Ids of stored trials (latest versions) after <paramref name="after"/> in ordinal order: how another service walks every trial.</summary>
    public async Task<IReadOnlyList<string>> TrialIdsAsync(string? after, int limit, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<string>(new CommandDefinition(
            "select distinct trial_id collate \"C\" from latest_trials where trial_id collate \"C\" > @after collate \"C\" order by 1 limit @limit",
            new { after = after ?? "", limit }, cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>Counts of stored records (latest versions) by source: what `make run` reports.</summary>
    public async Task<IReadOnlyList<TrialSourceCount>> CountBySourceAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<TrialSourceCount>(new CommandDefinition(
            "select source as Source, count(*) as Records, count(*) filter (where has_results) as WithResults from latest_trials group by source order by source",
            cancellationToken: cancellationToken));
        return rows.ToList();
    }

    /// <summary>Removes every stored version of a source's records, and their pairs (benchmarks clean up their synthetic source so).</summary>
    public async Task<int> DeleteSourceAsync(string source, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        return await connection.ExecuteAsync(new CommandDefinition("delete from trials where source = @source", new { source },
            commandTimeout: 600, cancellationToken: cancellationToken));
    }
}
