using System.CommandLine;
using Memcov.Cli.Reports;
using Memcov.Redis;
using Memcov.SharedMem;

namespace Memcov.Cli.Campaign;

/// <summary>
/// The sync of <c>memcov run --redis</c>: every second while the targets run, then once more after
/// the last target, so the region ends with the campaign's union and the campaign with the run's edges.
/// A failure after connecting is reported and never stops the run.
/// </summary>
internal sealed class CampaignRun : IAsyncDisposable
{
    private readonly CampaignConnection _connection;
    private readonly Func<string, string> _hostFor;
    private readonly TextWriter _messages;
    // How long the last sync keeps trying a server that is away (restarting, a network blip).
    private static readonly TimeSpan FinalPatience = TimeSpan.FromSeconds(15);

    private readonly CancellationTokenSource _stop = new();
    private SyncLoop? _loop;
    private Task _syncing = Task.CompletedTask;
    private string? _error;

    private CampaignRun(CampaignConnection connection, Func<string, string> hostFor, TextWriter messages)
    {
        _connection = connection;
        _hostFor = hostFor;
        _messages = messages;
    }

    /// <summary>Connects to the campaign the options name.</summary>
    /// <param name="options">The campaign options.</param>
    /// <param name="parse">The command line.</param>
    /// <param name="messages">Where failures are reported.</param>
    /// <returns>The campaign, not syncing yet.</returns>
    /// <exception cref="CampaignException">The server cannot be reached or used.</exception>
    public static async Task<CampaignRun> ConnectAsync(CampaignOptions options, ParseResult parse, TextWriter messages) =>
        new(await options.ConnectAsync(parse).ConfigureAwait(false), region => options.HostName(parse, region), messages);

    /// <summary>Starts syncing <paramref name="region"/> in the background.</summary>
    /// <param name="region">The run's region.</param>
    /// <param name="name">Its name: part of the default host name.</param>
    public void Sync(CoverageRegion region, string name)
    {
        var sync = new CampaignSync(_connection, region, _hostFor(name));
        _loop = new SyncLoop(sync, SyncDirection.Both, TimeSpan.FromSeconds(1), _messages);
        _syncing = Task.Run(async () =>
        {
            try
            {
                await _loop.RunAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
            {
                // A refusal retrying cannot mend (CampaignException), or the region went: the run goes on.
                _error = e.Message;
                await _messages.WriteLineAsync($"memcov: sync stopped: {Printable.Escape(e.Message)}").ConfigureAwait(false);
            }
        });
    }

    /// <summary>
    /// Stops the background syncs and syncs once more, even after the background syncs stopped on
    /// a failure: what the run recorded since the last sync still gets its chance to reach the campaign.
    /// </summary>
    /// <returns>What the summary says of the campaign.</returns>
    public async Task<CampaignSummary> FinishAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _syncing.ConfigureAwait(false);
        SyncLoop loop = _loop ?? throw new InvalidOperationException("The campaign's region was never given.");
        try
        {
            long deadline = Environment.TickCount64 + (long)FinalPatience.TotalMilliseconds;
            bool synced;
            while (!(synced = await loop.TryOnceAsync(last: Environment.TickCount64 >= deadline).ConfigureAwait(false)) && Environment.TickCount64 < deadline)
            {
                await Task.Delay(500).ConfigureAwait(false);
            }

            _error = synced ? null : loop.Failure;
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            _error = e.Message;
            await _messages.WriteLineAsync($"memcov: sync: {Printable.Escape(e.Message)}").ConfigureAwait(false);
        }

        return new CampaignSummary(_connection.Campaign, loop.Host, loop.Last?.CampaignEdges ?? 0, _error);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _syncing.ConfigureAwait(false);
        _stop.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
    }
}

/// <summary>What <c>memcov run --json</c> says of its campaign: the union's edges as the last sync read them, or why it failed.</summary>
internal sealed record CampaignSummary(string Name, string Host, long CampaignEdges, string? Error);
