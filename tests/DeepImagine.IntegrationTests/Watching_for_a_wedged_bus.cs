using DeepImagine.ServiceDefaults;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Xunit;

namespace DeepImagine.IntegrationTests;

/// <summary>
/// The bus watchdog on MassTransit's in-memory harness (no broker): a message whose consumer never finishes counts as a
/// wedge once it is older than the stall timeout, and ends the service with exit code 75; a consumer that finishes
/// leaves nothing behind.
/// </summary>
public sealed class Watching_for_a_wedged_bus
{
    public sealed record Ping(int Id);

    private sealed class HeldConsumer(TaskCompletionSource release) : IConsumer<Ping>
    {
        public Task Consume(ConsumeContext<Ping> context) => release.Task;
    }

    private static async Task<(ServiceProvider Provider, ITestHarness Harness, BusActivity Activity, TaskCompletionSource Release)> StartAsync()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var provider = new ServiceCollection()
            .AddSingleton(release)
            .AddSingleton<BusActivity>()
            .AddMassTransitTestHarness(x => x.AddConsumer<HeldConsumer>())
            .BuildServiceProvider(true);
        var harness = provider.GetRequiredService<ITestHarness>();
        var activity = provider.GetRequiredService<BusActivity>();
        await harness.Start();
        harness.Bus.ConnectReceiveObserver(activity);
        harness.Bus.ConnectPublishObserver(activity);
        harness.Bus.ConnectSendObserver(activity);
        return (provider, harness, activity, release);
    }

    private static BusWatchdog Watchdog(ServiceProvider provider, BusActivity activity, IHostApplicationLifetime lifetime, TimeSpan stallTimeout) =>
        new(activity, lifetime,
            Options.Create(new BusWatchdogOptions { StallTimeout = stallTimeout, CheckEvery = TimeSpan.FromMilliseconds(50) }),
            NullLogger<BusWatchdog>.Instance);

    private sealed class RecordingLifetime : IHostApplicationLifetime
    {
        private readonly CancellationTokenSource stopping = new();
        public CancellationToken ApplicationStarted => CancellationToken.None;
        public CancellationToken ApplicationStopping => stopping.Token;
        public CancellationToken ApplicationStopped => CancellationToken.None;
        public void StopApplication() => stopping.Cancel();
    }

    [Fact]
    public async Task A_message_held_longer_than_the_stall_timeout_is_a_wedge_and_ends_the_service_with_75()
    {
        var (provider, harness, activity, release) = await StartAsync();
        await using var _ = provider;
        var lifetime = new RecordingLifetime();
        var watchdog = Watchdog(provider, activity, lifetime, TimeSpan.FromMilliseconds(300));
        await harness.Bus.Publish(new Ping(1));
        await WaitUntil(() => activity.InFlight > 0);

        Assert.Null(watchdog.Stall()); // younger than the timeout
        await Task.Delay(400);
        var stall = watchdog.Stall();
        Assert.NotNull(stall);
        Assert.Contains("a message received on", stall);

        var exitCode = Environment.ExitCode;
        try
        {
            await watchdog.StartAsync(CancellationToken.None);
            await WaitUntil(() => lifetime.ApplicationStopping.IsCancellationRequested);
            Assert.Equal(BusWatchdog.ExitCode, Environment.ExitCode);
        }
        finally
        {
            Environment.ExitCode = exitCode;
            await watchdog.StopAsync(CancellationToken.None);
            release.SetResult();
        }
    }

    [Fact]
    public async Task Finished_messages_and_publishes_leave_nothing_in_flight()
    {
        var (provider, harness, activity, release) = await StartAsync();
        await using var _ = provider;
        release.SetResult();
        for (var i = 0; i < 20; i++) await harness.Bus.Publish(new Ping(i));
        Assert.True(await harness.Consumed.Any<Ping>(m => m.Context.Message.Id == 19));
        await WaitUntil(() => activity.InFlight == 0);

        var watchdog = Watchdog(provider, activity, new RecordingLifetime(), TimeSpan.FromMilliseconds(1));
        await Task.Delay(50);
        Assert.Null(watchdog.Stall());
        Assert.Null(activity.Oldest());
    }

    [Fact]
    public async Task A_stall_timeout_of_zero_turns_the_watchdog_off()
    {
        var (provider, harness, activity, release) = await StartAsync();
        await using var _ = provider;
        await harness.Bus.Publish(new Ping(1));
        await WaitUntil(() => activity.InFlight > 0);
        await Task.Delay(50);
        Assert.Null(Watchdog(provider, activity, new RecordingLifetime(), TimeSpan.Zero).Stall());
        release.SetResult();
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met within 10 s");
            await Task.Delay(10);
        }
    }
}
