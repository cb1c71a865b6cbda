using Dapper;
using DeepImagine.PairMiner.Components;
using DeepImagine.PairMiner.Components.Data;
using DeepImagine.Persistence;
using DeepImagine.Tests;
using DeepImagine.Trials;
using Npgsql;
using Xunit;

namespace DeepImagine.PairMiner.Tests;

/// <summary>
/// pair-miner's trial store on the test database (<c>DEEPIMAGINE_TEST_CONNECTION</c>), in a schema of its own: changed
/// contents of one record arriving at once (competing consumers) each become a version, none fails.
/// </summary>
public sealed class Storing_versions_of_one_record_at_once : IAsyncLifetime
{
    private const string Schema = "pair_miner_versions_race";

    private static readonly string ConnectionString = TestDatabase.ConnectionString;

    private NpgsqlDataSource dataSource = null!;

    public async Task InitializeAsync()
    {
        await using (var connection = new NpgsqlConnection(ConnectionString))
            await connection.ExecuteAsync($"drop schema if exists {Schema} cascade");
        SchemaMigrator.Migrate(ConnectionString, Schema, typeof(PairMinerApplication).Assembly);
        dataSource = NpgsqlDataSource.Create(ServiceSchema.ConnectionStringFor(ConnectionString, Schema));
    }

    public async Task DisposeAsync() => await dataSource.DisposeAsync();

    [Fact]
    public async Task Twelve_contents_of_one_record_stored_concurrently_become_twelve_versions_the_last_one_latest()
    {
        var real = SourceFiles.Read([Path.Combine(RepoRoot.Path, "data", "ctgov-v2-json", "studies.jsonl.gz")])
            .First(r => { try { TrialRecordParser.Parse(r); return true; } catch (TrialValidationException) { return false; } });
        // One record id, twelve contents (a changed title each), stored from twelve connections at the same moment.
        var contents = Enumerable.Range(1, 12)
            .Select(i => real with { Text = real.Text.Replace("\"briefTitle\":\"", $"\"briefTitle\":\"Revision {i} ", StringComparison.Ordinal) })
            .ToList();
        Assert.Equal(12, contents.Select(c => TrialRepository.ContentHash(c.Text)).Distinct().Count());
        var repository = new TrialRepository(dataSource);
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stores = contents.Select(async c =>
        {
            await start.Task;
            return await repository.StoreAsync(TrialRecordParser.Parse(c), c.Text, Guid.NewGuid());
        }).ToList();
        start.SetResult();
        var results = await Task.WhenAll(stores);

        Assert.All(results, r => Assert.True(r.IsNewVersion));
        Assert.Equal(Enumerable.Range(1, 12), results.Select(r => r.Version).Order());
        await using var connection = await dataSource.OpenConnectionAsync();
        Assert.Equal(12, await connection.ExecuteScalarAsync<long>("select count(*) from trials where source_record_id = @Id", new { Id = real.RecordId }));
        // Each insert retires the versions its statement sees; the renumbered ones see the winners, so one stays latest.
        var latest = (await connection.QueryAsync<int>("select version from trials where source_record_id = @Id and is_latest", new { Id = real.RecordId })).ToList();
        Assert.Equal(new[] { 12 }, latest);
    }
}
