using System.Globalization;
using Memcov.SharedMem;
using StackExchange.Redis;

namespace Memcov.Redis;

/// <summary>
/// Reads a campaign for live views and plots: the host table, the union's covered edges (downloading
/// only the unions whose bit count moved), and the stream of samples.
/// </summary>
public sealed class CampaignView
{
    private readonly CampaignConnection _connection;
    private readonly Dictionary<string, (long Bits, long Covered)> _unions = new(StringComparer.Ordinal);
    private long _generation = -1;

    /// <summary>Creates a view; nothing is read yet.</summary>
    /// <param name="connection">The campaign.</param>
    public CampaignView(CampaignConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _connection = connection;
    }

    /// <summary>The hosts that synced, by name.</summary>
    /// <returns>Their last rows.</returns>
    /// <exception cref="CampaignException">The server could not be reached or refused a command.</exception>
    public Task<IReadOnlyList<HostStatus>> ReadHostsAsync() => _connection.CallAsync(ReadHostsOnceAsync);

    private async Task<IReadOnlyList<HostStatus>> ReadHostsOnceAsync()
    {
        var rows = new List<HostStatus>();
        foreach (HashEntry e in await _connection.Database.HashGetAllAsync(CampaignKeys.Hosts(_connection.Campaign)).ConfigureAwait(false))
        {
            string[] parts = e.Value.ToString().Split(' ');
            if (parts.Length == 3 && long.TryParse(parts[0], CultureInfo.InvariantCulture, out long ms)
                && long.TryParse(parts[1], CultureInfo.InvariantCulture, out long edges) && long.TryParse(parts[2], CultureInfo.InvariantCulture, out long campaign))
            {
                rows.Add(new HostStatus(e.Name.ToString(), DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(ms, 0, 253402300799999)), edges, campaign));
            }
        }

        rows.Sort((a, b) => string.CompareOrdinal(a.Host, b.Host));
        return rows;
    }

    /// <summary>
    /// Edges covered in the campaign's union of every module key, each region kind and host-bound
    /// path module included.
    /// </summary>
    /// <returns>The count.</returns>
    /// <exception cref="CampaignException">The server could not be reached or refused a command.</exception>
    public Task<long> CountUnionAsync() => _connection.CallAsync(CountUnionOnceAsync);

    private async Task<long> CountUnionOnceAsync()
    {
        IDatabase db = _connection.Database;
        string campaign = _connection.Campaign;
        long generation = CampaignKeys.ReadCounter(await db.StringGetAsync(CampaignKeys.Generation(campaign)).ConfigureAwait(false), campaign);
        if (generation < _generation)
        {
            _unions.Clear(); // the server lost or restored the campaign
        }

        if (generation != _generation)
        {
            foreach (UnionScan.Moved m in await UnionScan.FindMovedAsync(_connection, (_, _, _) => true,
                key => _unions.TryGetValue(key, out var known) ? known.Bits : -1, problems: null).ConfigureAwait(false))
            {
                byte[] union = (byte[]?)await db.StringGetAsync(CampaignKeys.Union(campaign, m.Key)).ConfigureAwait(false) ?? [];
                _unions[m.Key] = (m.Bits, CoverageMap.CountCovered(union.AsSpan(0, (int)Math.Min(union.LongLength, m.Identity.EdgeCount))));
            }

            _generation = generation;
        }

        return _unions.Values.Sum(u => u.Covered);
    }

    /// <summary>Reads samples after <paramref name="after"/>, oldest first.</summary>
    /// <param name="after">The id of the last sample read, or null for the first.</param>
    /// <param name="count">At most this many.</param>
    /// <returns>The samples and the id of the last one (or <paramref name="after"/> when none).</returns>
    /// <exception cref="CampaignException">The server could not be reached or refused a command.</exception>
    public Task<(IReadOnlyList<CampaignSample> Samples, string? Last)> ReadSamplesAsync(string? after, int count = 10_000) =>
        _connection.CallAsync(() => ReadSamplesOnceAsync(after, count));

    private async Task<(IReadOnlyList<CampaignSample> Samples, string? Last)> ReadSamplesOnceAsync(string? after, int count)
    {
        StreamEntry[] entries = await _connection.Database.StreamRangeAsync(CampaignKeys.Samples(_connection.Campaign),
            minId: after is null ? "-" : "(" + after, maxId: "+", count: count).ConfigureAwait(false);
        var samples = new List<CampaignSample>(entries.Length);
        foreach (StreamEntry e in entries)
        {
            string id = e.Id.ToString();
            int dash = id.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && long.TryParse(id.AsSpan(0, dash), CultureInfo.InvariantCulture, out long ms)
                && e["host"] is { IsNull: false } host && e["edges"].TryParse(out long edges) && e["campaign"].TryParse(out long campaign))
            {
                samples.Add(new CampaignSample(DateTimeOffset.FromUnixTimeMilliseconds(Math.Clamp(ms, 0, 253402300799999)), host.ToString(), edges, campaign));
            }
        }

        return (samples, entries.Length > 0 ? entries[^1].Id.ToString() : after);
    }
}
