using System.Text;
using DeepImagine.Contracts.V1;
using DeepImagine.PairMiner.Components.Edge;
using DeepImagine.Trials;
using DeepImagine.Trials.Tests;
using MassTransit;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace DeepImagine.IntegrationTests;

[Collection(LiveServicesCollection.Name)]
public class Publishing_trials(LiveServices services)
{
    private static TrialPublished Message(SourceRecord record, Guid correlationId) => record.ToMessage(correlationId);

    [Fact]
    public async Task Stores_real_records_of_every_format_and_reads_them_back_from_PostgreSQL()
    {
        var correlationId = NewId.NextGuid();
        var records = new[]
        {
            RepoData.V2Record("NCT01037244"),
            RepoData.LegacyRecord("NCT02305381"),
            SourceFiles.Read([RepoData.ClinDrTable]).First(r => r.RecordId == "clinDR:1-2"),
        };

        foreach (var record in records) await services.Bus.Publish(Message(record, correlationId));
        var stored = await LiveServices.WaitForAsync(services.Stored, e => e.CorrelationId == correlationId, count: 3);

        Assert.Equal(["NCT01037244", "NCT02305381", "clinDR:1-2"], stored.Select(s => s.SourceRecordId).Order(StringComparer.Ordinal));
        var udenafil = (await services.Trials.GetLatestAsync("NCT01037244"))!;
        Assert.Equal(100, udenafil.Trial.Arms.Single(a => a.Label == "Udenafil 100 mg").Interventions.Single().Dose!.Amount);
        Assert.Equal(7.76, udenafil.Trial.Outcomes[0].Measurements.Single(m => m.GroupId == "OG002").Value!.Value);
        Assert.Equal("<", udenafil.Trial.Outcomes[0].Analyses[0].PValue!.Comparator);
        var semaglutide = (await services.Trials.GetLatestAsync("NCT02305381"))!;
        Assert.Equal(-1.75, semaglutide.Trial.Outcomes[0].Analyses[0].Estimate!.Value);
        var clinDr = (await services.Trials.GetLatestAsync("clinDR:1-2"))!;
        Assert.Equal(3, clinDr.Trial.Arms.Count);
        Assert.True(stored.Single(s => s.SourceRecordId == "clinDR:1-2").HasResults);
    }

    [Fact]
    public async Task Stores_the_same_record_once_when_it_is_delivered_twice()
    {
        var correlationId = NewId.NextGuid();
        var message = Message(RepoData.V2Record("NCT00790751"), correlationId);

        await services.Bus.Publish(message);
        await services.Bus.Publish(message);
        var stored = await LiveServices.WaitForAsync(services.Stored, e => e.CorrelationId == correlationId, count: 2);

        Assert.Equal(1, stored.Count(s => s.IsNewVersion));
        Assert.All(stored, s => Assert.Equal(1, s.Version));
        var versions = await services.Trials.VersionsAsync(SourceRecord.CtgovV2Source, "NCT00790751");
        Assert.Single(versions);
    }

    [Fact]
    public async Task Stores_a_changed_record_as_a_new_version()
    {
        var original = RepoData.V2Record("NCT00655629");
        var changed = original with { Text = original.Text.Replace("\"briefTitle\":\"", "\"briefTitle\":\"(Updated) ", StringComparison.Ordinal) };
        Assert.NotEqual(original.Text, changed.Text);

        var first = NewId.NextGuid();
        await services.Bus.Publish(Message(original, first));
        await LiveServices.WaitForAsync(services.Stored, e => e.CorrelationId == first);
        var second = NewId.NextGuid();
        await services.Bus.Publish(Message(changed, second));
        var update = (await LiveServices.WaitForAsync(services.Stored, e => e.CorrelationId == second)).Single();

        Assert.True(update.IsNewVersion);
        Assert.Equal(2, update.Version);
        var latest = (await services.Trials.GetLatestAsync("NCT00655629"))!;
        Assert.Equal(2, latest.Version);
        Assert.StartsWith("(Updated) ", latest.Trial.Title, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sends_a_malformed_record_to_the_error_queue_and_publishes_TrialRejected()
    {
        var correlationId = NewId.NextGuid();
        var recordId = $"NCT-BROKEN-{correlationId:N}";
        await services.Bus.Publish(new TrialPublished(SourceRecord.CtgovV2Source, recordId, DeepImagine.Contracts.V1.RecordFormat.CtgovV2Json, "{\"protocolSection\": {", correlationId));

        var rejected = (await LiveServices.WaitForAsync(services.Rejected, e => e.CorrelationId == correlationId)).Single();
        Assert.Equal(recordId, rejected.SourceRecordId);
        Assert.Equal("record", rejected.Field);
        Assert.Contains("not well-formed JSON", rejected.Reason, StringComparison.Ordinal);

        var (body, reason) = await FindInErrorQueueAsync(DeepImagine.PairMiner.Components.Ingestion.TrialPublishedConsumerDefinition.QueueName + "_error", recordId);
        Assert.Contains(recordId, body, StringComparison.Ordinal);
        Assert.Contains("not well-formed JSON", reason, StringComparison.Ordinal);

        Assert.Null(await services.Trials.GetLatestAsync(recordId));
    }

    /// <summary>
    /// Reads the error queue without taking anything off it; returns the message body and MassTransit's fault reason. On a
    /// new vhost the queue appears only when MassTransit moves the first fault there, so a missing queue is waited for
    /// within the same bound as the message.
    /// </summary>
    private async Task<(string Body, string Reason)> FindInErrorQueueAsync(string queue, string recordId)
    {
        var options = services.RabbitMq;
        var factory = new ConnectionFactory { HostName = options.Host, Port = options.Port, VirtualHost = options.VirtualHost, UserName = options.Username, Password = options.Password };
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var queueSeen = false;
        while (DateTime.UtcNow < deadline)
        {
            await using var connection = await factory.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            try
            {
                // Unacknowledged gets go back to the queue when the channel closes.
                while (await channel.BasicGetAsync(queue, autoAck: false) is { } result)
                {
                    queueSeen = true;
                    var body = Encoding.UTF8.GetString(result.Body.Span);
                    if (body.Contains(recordId, StringComparison.Ordinal))
                    {
                        var headers = result.BasicProperties.Headers ?? new Dictionary<string, object?>();
                        var reason = headers.TryGetValue("MT-Fault-Message", out var value) && value is byte[] bytes ? Encoding.UTF8.GetString(bytes) : "";
                        return (body, reason);
                    }
                }
                queueSeen = true;
            }
            catch (OperationInterruptedException ex) when (ex.ShutdownReason?.ReplyCode == RabbitMQ.Client.Constants.NotFound)
            {
                // Not declared yet (the broker closed the channel): look again on a new one.
            }
            await Task.Delay(250);
        }
        throw new TimeoutException(queueSeen
            ? $"record '{recordId}' did not reach {queue} within 30 s"
            : $"queue {queue} did not appear within 30 s, so record '{recordId}' never reached it");
    }
}
