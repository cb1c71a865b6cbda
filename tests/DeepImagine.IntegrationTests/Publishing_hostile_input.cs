using Dapper;
using DeepImagine.ServiceDefaults;
using DeepImagine.Tests;
using DeepImagine.Trials;
using MassTransit;
using Npgsql;

namespace DeepImagine.IntegrationTests;

/// <summary>The hostile-input corpus published through RabbitMQ to the running pair-miner.</summary>
[Collection(LiveServicesCollection.Name)]
public class Publishing_hostile_input(LiveServices services)
{
    /// <summary>
    /// Every record the corpus rejects (up to 1 M characters each, to keep the run short), and those it accepts, the
    /// latter under their own id (NCT9…) so they do not become newer versions of the records the other tests read.
    /// </summary>
    private static IEnumerable<HostileCase> Sample() => HostileCorpus.All
        .Where(c => c.Record.Text.Length <= 1024 * 1024)
        .Where(c => !c.ShouldBeAccepted || c.Record.Format != RecordFormat.DoseGroupTable)
        .Where(c => c.CanCrossTheBus)
        .Select(c => c.ShouldBeAccepted ? c with { Record = Rekeyed(c.Record) } : c);

    private static SourceRecord Rekeyed(SourceRecord record)
    {
        var id = record.RecordId;
        var other = "NCT9" + id[4..];
        return record with { RecordId = other, Text = record.Text.Replace(id, other, StringComparison.Ordinal) };
    }

    [Fact]
    public async Task Rejects_each_hostile_record_into_the_error_queue_with_its_field_stores_the_valid_ones_and_keeps_serving()
    {
        var sample = Sample().Select(c => (Case: c, CorrelationId: NewId.NextGuid())).ToList();
        Assert.True(sample.Count >= 200, $"sample of {sample.Count}");

        foreach (var (hostile, correlationId) in sample) await services.Bus.Publish(hostile.ToMessage(correlationId));

        var rejected = sample.Where(s => !s.Case.ShouldBeAccepted).ToList();
        var accepted = sample.Where(s => s.Case.ShouldBeAccepted).ToList();
        var ids = rejected.Select(s => s.CorrelationId).ToHashSet();
        var acceptedIds = accepted.Select(s => s.CorrelationId).ToHashSet();
        var deadline = DateTime.UtcNow.AddSeconds(120);
        while (DateTime.UtcNow < deadline && (services.Rejected.Count(e => ids.Contains(e.CorrelationId)) < rejected.Count || services.Stored.Count(e => acceptedIds.Contains(e.CorrelationId)) < accepted.Count))
            await Task.Delay(200);
        var unanswered = sample.Where(s => !services.Rejected.Any(e => e.CorrelationId == s.CorrelationId) && !services.Stored.Any(e => e.CorrelationId == s.CorrelationId)).Select(s => s.Case.Name).ToList();
        Assert.True(unanswered.Count == 0, "neither stored nor rejected: " + string.Join("; ", unanswered));
        var wronglyStored = rejected.Where(s => services.Stored.Any(e => e.CorrelationId == s.CorrelationId)).Select(s => s.Case.Name).ToList();
        Assert.True(wronglyStored.Count == 0, "stored though hostile: " + string.Join("; ", wronglyStored));
        var wronglyRejected = accepted.Where(s => services.Rejected.Any(e => e.CorrelationId == s.CorrelationId)).Select(s => s.Case.Name).ToList();
        Assert.True(wronglyRejected.Count == 0, "rejected though valid: " + string.Join("; ", wronglyRejected));

        foreach (var (hostile, correlationId) in rejected)
        {
            var rejection = services.Rejected.First(e => e.CorrelationId == correlationId);
            Assert.True(hostile.ExpectedField == rejection.Field, $"{hostile.Name}: field '{rejection.Field}', expected '{hostile.ExpectedField}' ({rejection.Reason})");
        }
        Assert.DoesNotContain(services.Stored, e => ids.Contains(e.CorrelationId));
        await using (var connection = new NpgsqlConnection(LiveServices.ConnectionString + $";Search Path={DeepImagine.PairMiner.Components.PairMinerApplication.Schema}"))
        {
            Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from trials where correlation_id = any(@ids)", new { ids = ids.ToArray() }));
            Assert.Equal(accepted.Count, await connection.ExecuteScalarAsync<long>("select count(*) from trials where correlation_id = any(@acceptedIds)", new { acceptedIds = acceptedIds.ToArray() }));
        }

        // Every rejected record is in the error queue with the reason MassTransit recorded.
        var errorQueue = DeepImagine.PairMiner.Components.Ingestion.TrialPublishedConsumerDefinition.QueueName + ErrorQueues.Suffix;
        var errors = new ErrorQueues(services.RabbitMq, ErrorQueues.DefaultManagementApi(services.RabbitMq));
        deadline = DateTime.UtcNow.AddSeconds(60);
        List<string> missing;
        do
        {
            var bodies = (await errors.PeekAsync(errorQueue, 100_000)).Where(m => m.ExceptionType == typeof(TrialValidationException).FullName).Select(m => m.Body).ToList();
            missing = rejected.Where(s => !bodies.Any(b => b.Contains(s.CorrelationId.ToString(), StringComparison.Ordinal))).Select(s => s.Case.Name).ToList();
            if (missing.Count > 0) await Task.Delay(500);
        } while (missing.Count > 0 && DateTime.UtcNow < deadline);
        Assert.True(missing.Count == 0, "not in the error queue as validation faults: " + string.Join("; ", missing.Take(10)));

        Assert.Equal("Healthy", await services.PairMinerClient.GetStringAsync("/health"));
    }
}
