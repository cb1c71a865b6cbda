using System.Security.Cryptography;
using System.Text;
using Dapper;
using DeepImagine.Trials;
using Npgsql;

namespace DeepImagine.Storage;

/// <summary>Outcome of storing one record: its version and whether this call created it.</summary>
public sealed record StoreResult(long Id, int Version, string ContentHash, bool IsNewVersion);

/// <summary>A stored trial with its storage metadata.</summary>
public sealed record StoredTrial(long Id, int Version, string ContentHash, DateTimeOffset StoredAt, Trial Trial)
{
    public DeepImagine.Pairs.TrialRef Ref => new(Id, Trial.TrialId, Trial.Source, Trial.SourceRecordId, Version);
}

/// <summary>Trials in PostgreSQL (Dapper). Writes are idempotent per (source, record id, content hash).</summary>
public sealed class TrialRepository(NpgsqlDataSource dataSource)
{
    /// <summary>The content hash a record is stored under: SHA-256 of its text with line endings normalized.</summary>
    public static string ContentHash(string record)
    {
        var normalized = record.Replace("\r\n", "\n", StringComparison.Ordinal).Trim();
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(normalized)));
    }

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
        for (var attempt = 0; ; attempt++)
        {
            var row = await connection.QuerySingleOrDefaultAsync<(long Id, int Version, bool IsNew)?>(
                new CommandDefinition(InsertSql, args, cancellationToken: cancellationToken));
            if (row is { } r) return new StoreResult(r.Id, r.Version, hash, r.IsNew);
            // A concurrent writer stored the same content between our look-up and insert: read it back.
            if (attempt > 0) throw new InvalidOperationException($"record '{trial.SourceRecordId}' could not be stored or found");
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
        Interventions = InterventionNames(trial),
        Countries = trial.Countries.ToArray(),
        trial.Enrollment,
        trial.StartDate,
        trial.HasResults,
        Document = TrialJson.Serialize(trial),
        RawRecord = rawRecord,
        CorrelationId = correlationId,
        ConditionKeys = ConditionKeys(trial),
        trial.Eligibility.Sex,
        MinAgeYears = trial.Eligibility.MinimumAge?.Years,
        MaxAgeYears = trial.Eligibility.MaximumAge?.Years,
        trial.Design.Masking,
        trial.Design.Allocation,
    };

    /// <summary>Normalized condition names: what retrieval matches conditions on.</summary>
    public static string[] ConditionKeys(Trial trial) => trial.Conditions
        .Select(Normalize.NameKey)
        .Where(n => n.Length > 0)
        .Distinct(StringComparer.Ordinal)
        .ToArray();

    /// <summary>Normalized names and other names of the non-placebo interventions: what retrieval matches on.</summary>
    public static string[] InterventionNames(Trial trial) => trial.Interventions
        .Where(i => !i.IsPlacebo)
        .SelectMany(i => i.OtherNames.Prepend(i.Name))
        .Select(Normalize.NameKey)
        .Where(n => n.Length > 0)
        .Distinct(StringComparer.Ordinal)
        .ToArray();

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

    /// <summary>Counts of stored records (latest versions) by source: what `make run` reports.</summary>
    public async Task<IReadOnlyList<(string Source, long Records, long WithResults)>> CountBySourceAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var rows = await connection.QueryAsync<(string, long, long)>(new CommandDefinition(
            "select source, count(*), count(*) filter (where has_results) from latest_trials group by source order by source",
            cancellationToken: cancellationToken));
        return rows.ToList();
    }
}
