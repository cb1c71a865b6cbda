using Dapper;
using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.ServiceDefaults;
using DeepImagine.Trials;
using DeepImagine.Trials.Tests;
using MassTransit;
using Npgsql;

namespace DeepImagine.IntegrationTests;

/// <summary>`deepimagine errors list|replay`: a message that failed is listed with its reason and replayed after the fix.</summary>
[Collection(LiveServicesCollection.Name)]
public class Replaying_error_messages(LiveServices services)
{
    private const string StoredErrorQueue = DeepImagine.PairMiner.Components.Mining.TrialStoredConsumerDefinition.QueueName + ErrorQueues.Suffix;

    private ErrorQueues ErrorQueues => new(services.RabbitMq, ErrorQueues.DefaultManagementApi(services.RabbitMq));

    [Fact]
    public async Task Lists_a_failed_message_with_its_reason_and_replays_it_to_its_queue_once_the_cause_is_fixed()
    {
        // Mining a version that is not stored fails on every retry: the message ends in the error queue.
        var record = RepoData.V2Record("NCT00215631");
        var failed = NewId.NextGuid();
        await services.Bus.Publish(new TrialStored(record.RecordId, record.SourceName, record.RecordId, 1, "0", true, true, failed));
        var listed = await WaitForErrorAsync(failed.ToString());
        Assert.Contains("is not stored", listed.Reason, StringComparison.Ordinal);
        Assert.Equal(record.RecordId, listed.RecordId);
        Assert.Contains(await ErrorQueues.QueuesAsync(), q => q.Queue == StoredErrorQueue);

        // The fix: the trial gets stored. Replaying now mines it.
        var fix = NewId.NextGuid();
        await services.Bus.Publish(record.ToMessage(fix));
        await LiveServices.WaitForAsync(services.Stored, e => e.CorrelationId == fix);
        var replayed = await ErrorQueues.ReplayAsync(StoredErrorQueue, max: 100, match: failed.ToString());

        Assert.Contains(failed.ToString(), Assert.Single(replayed).Body, StringComparison.Ordinal);
        var mined = (await LiveServices.WaitForAsync(services.Mined, e => e.CorrelationId == failed)).Single();
        Assert.Equal(record.RecordId, mined.SourceRecordId);
        Assert.DoesNotContain(await ErrorQueues.PeekAsync(StoredErrorQueue, 10_000), m => m.Body.Contains(failed.ToString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Replays_a_still_invalid_record_back_through_validation_into_the_error_queue()
    {
        var correlationId = NewId.NextGuid();
        var recordId = $"NCT-BROKEN-{correlationId:N}";
        await services.Bus.Publish(new TrialPublished(SourceRecord.CtgovV2Source, recordId, DeepImagine.Contracts.V1.RecordFormat.CtgovV2Json, "{\"protocolSection\": [", correlationId));
        var queue = DeepImagine.PairMiner.Components.Ingestion.TrialPublishedConsumerDefinition.QueueName + ErrorQueues.Suffix;
        await LiveServices.WaitForAsync(services.Rejected, e => e.CorrelationId == correlationId);
        await WaitForErrorAsync(recordId, queue);

        Assert.Single(await ErrorQueues.ReplayAsync(queue, max: 100, match: recordId));

        // Consumed again from its original queue: rejected a second time, and back in the error queue once.
        await LiveServices.WaitForAsync(services.Rejected, e => e.CorrelationId == correlationId, count: 2);
        var again = await WaitForErrorAsync(recordId, queue);
        Assert.Contains("not well-formed JSON", again.Reason, StringComparison.Ordinal);
        Assert.Single(await ErrorQueues.PeekAsync(queue, 10_000), m => m.Body.Contains(recordId, StringComparison.Ordinal));
        await using var connection = new NpgsqlConnection(LiveServices.ConnectionString + $";Search Path={DeepImagine.PairMiner.Components.PairMinerApplication.Schema}");
        Assert.Equal(0, await connection.ExecuteScalarAsync<long>("select count(*) from trials where source_record_id = @recordId", new { recordId }));
    }

    private async Task<ErrorMessage> WaitForErrorAsync(string text, string queue = StoredErrorQueue)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                var found = (await ErrorQueues.PeekAsync(queue, 10_000)).FirstOrDefault(m => m.Body.Contains(text, StringComparison.Ordinal));
                if (found is not null) return found;
            }
            catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
            {
                // The error queue is created with the first fault.
            }
            await Task.Delay(500);
        }
        throw new TimeoutException($"no message containing '{text}' reached {queue}");
    }
}
