using Memcov.Cli.Reports;
using Memcov.Redis;

namespace Memcov.Cli.Campaign;

/// <summary>
/// Syncs a region with its campaign every interval until stopped. A lost connection is one line and
/// a retry with backoff (1 s doubling to 30 s); the local region records on, and the next sync that
/// succeeds sends whatever was not confirmed. A line of what a sync skipped is said once, not at
/// every sync that skips it again.
/// </summary>
internal sealed class SyncLoop(CampaignSync sync, SyncDirection direction, TimeSpan interval, TextWriter messages)
{
    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(30);
    private HashSet<string> _skipped = new(StringComparer.Ordinal);

    /// <summary>The host the loop publishes as.</summary>
    public string Host => sync.Host;

    /// <summary>The result of the last sync that succeeded, or null.</summary>
    public SyncResult? Last { get; private set; }

    /// <summary>The line of the last failure, or null once a sync succeeded after it.</summary>
    public string? Failure { get; private set; }

    /// <summary>Called after each sync that succeeded.</summary>
    public Action<SyncResult>? Synced { get; init; }

    /// <summary>Why the region can no longer be synced (removed or replaced under its name), checked before each sync; null while it can.</summary>
    public Func<string?>? RegionLost { get; init; }

    /// <summary>Syncs every interval until <paramref name="stop"/>.</summary>
    /// <exception cref="CampaignException">A failure retrying cannot mend (another sync took the host name, a refused command).</exception>
    /// <exception cref="InvalidOperationException">The region was removed or replaced.</exception>
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
    /// <param name="last">The last attempt: a failure is said without the promise of a retry.</param>
    /// <exception cref="CampaignException">A failure retrying cannot mend.</exception>
    /// <exception cref="InvalidOperationException">The region was removed or replaced.</exception>
    public async Task<bool> TryOnceAsync(bool last = false)
    {
        if (RegionLost?.Invoke() is string lost)
        {
            throw new InvalidOperationException($"{lost}; syncing it stopped");
        }

        try
        {
            Last = await sync.SyncAsync(direction).ConfigureAwait(false);
        }
        catch (CampaignException e) when (e.Retryable)
        {
            if (last)
            {
                await messages.WriteLineAsync($"memcov: sync: {Printable.Escape(e.Message)}").ConfigureAwait(false);
            }
            else if (Failure != e.Message)
            {
                await messages.WriteLineAsync($"memcov: sync: {Printable.Escape(e.Message)}; retrying, local recording goes on").ConfigureAwait(false);
            }

            Failure = e.Message;
            return false;
        }

        if (Failure is not null)
        {
            await messages.WriteLineAsync("memcov: sync: the Redis server answers again").ConfigureAwait(false);
            Failure = null;
        }

        var skipped = new HashSet<string>(Last.Skipped, StringComparer.Ordinal);
        foreach (string line in Last.Skipped.Where(l => !_skipped.Contains(l)))
        {
            await messages.WriteLineAsync($"memcov: sync: {Printable.Escape(line)}").ConfigureAwait(false);
        }

        _skipped = skipped;
        Synced?.Invoke(Last);
        return true;
    }
}
