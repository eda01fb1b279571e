using Memcov.Cli.Reports;
using Memcov.Redis;

namespace Memcov.Cli.Campaign;

/// <summary>
/// Syncs a region with its campaign every interval until stopped, then once more. A lost connection
/// is one line and a retry with backoff (1 s doubling to 30 s); the local region records on, and the
/// next sync that succeeds sends whatever was not confirmed.
/// </summary>
internal sealed class SyncLoop(CampaignSync sync, SyncDirection direction, TimeSpan interval, TextWriter messages)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);

    /// <summary>The host the loop publishes as.</summary>
    public string Host => sync.Host;

    /// <summary>The result of the last sync that succeeded, or null.</summary>
    public SyncResult? Last { get; private set; }

    /// <summary>The line of the last failure, or null once a sync succeeded after it.</summary>
    public string? Failure { get; private set; }

    /// <summary>Called after each sync that succeeded.</summary>
    public Action<SyncResult>? Synced { get; init; }

    /// <summary>Syncs every interval until <paramref name="stop"/>.</summary>
    /// <exception cref="CampaignException">A failure retrying cannot mend (another sync took the host name, a refused command).</exception>
    public async Task RunAsync(CancellationToken stop)
    {
        TimeSpan wait = TimeSpan.Zero;
        TimeSpan backoff = TimeSpan.FromSeconds(1);
        while (true)
        {
            try
            {
                await Task.Delay(wait, stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (await TryOnceAsync().ConfigureAwait(false))
            {
                wait = interval;
                backoff = TimeSpan.FromSeconds(1);
            }
            else
            {
                wait = backoff;
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>One sync; a retryable failure is reported and false.</summary>
    /// <exception cref="CampaignException">A failure retrying cannot mend.</exception>
    public async Task<bool> TryOnceAsync()
    {
        try
        {
            Last = await sync.SyncAsync(direction).ConfigureAwait(false);
        }
        catch (CampaignException e) when (e.Retryable)
        {
            if (Failure != e.Message)
            {
                await messages.WriteLineAsync($"memcov: sync: {Printable.Escape(e.Message)}; retrying, local recording goes on").ConfigureAwait(false);
            }

            Failure = e.Message;
            return false;
        }

        if (Failure is not null)
        {
            await messages.WriteLineAsync($"memcov: sync: the Redis server answers again").ConfigureAwait(false);
            Failure = null;
        }

        foreach (string skipped in Last.Skipped)
        {
            await messages.WriteLineAsync($"memcov: sync: {Printable.Escape(skipped)}").ConfigureAwait(false);
        }

        Synced?.Invoke(Last);
        return true;
    }
}
