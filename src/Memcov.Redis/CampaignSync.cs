using System.Security.Cryptography;
using Memcov.SharedMem;
using StackExchange.Redis;

namespace Memcov.Redis;

/// <summary>
/// Keeps one local region and a campaign in step (docs/redis-sync.md): a push sends the pages of
/// each module's map that gained bits to this host's key and has Redis OR that key into the module's
/// union; a pull merges unions that grew into the region. Module keys carry the region kind and the
/// module identity, so modules meet by identity, never by slot. One instance per region and host,
/// used by one caller at a time.
/// </summary>
public sealed class CampaignSync
{
    /// <summary>The unit of change a push sends: a page of the map.</summary>
    public const int ChunkBytes = 4096;

    // The stream keeps about this many samples; older ones are trimmed by Redis.
    private const int MaxSamples = 1_000_000;

    private readonly CampaignConnection _connection;
    private readonly CoverageRegion _region;
    private readonly string _token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    private readonly Dictionary<string, ModuleState> _modules = new(StringComparer.Ordinal);
    private bool _owned;
    private long _generation = -1;
    private long _lastSampledEdges = -1;

    /// <summary>Creates the sync of <paramref name="region"/> as <paramref name="host"/>; nothing is sent yet.</summary>
    /// <param name="connection">The campaign.</param>
    /// <param name="region">The local region; stays the caller's.</param>
    /// <param name="host">This host's name in the campaign: <c>[A-Za-z0-9][A-Za-z0-9._-]{0,99}</c>, one sync per name.</param>
    /// <exception cref="ArgumentException">The host name is not valid.</exception>
    public CampaignSync(CampaignConnection connection, CoverageRegion region, string host)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(region);
        if (!CampaignKeys.IsValidName(host))
        {
            throw new ArgumentException($"Invalid host name '{host}': it must match [A-Za-z0-9][A-Za-z0-9._-]{{0,99}}.", nameof(host));
        }

        _connection = connection;
        _region = region;
        Host = host;
    }

    /// <summary>This host's name in the campaign.</summary>
    public string Host { get; }

    /// <summary>The campaign's name.</summary>
    public string Campaign => _connection.Campaign;

    /// <summary>
    /// Pushes, pulls, or both, then records a sample for live views. A failure leaves the state as
    /// it was before the failed step: what was not confirmed is sent again by the next sync.
    /// </summary>
    /// <param name="direction">Which ways to go.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="CampaignException">
    /// The server could not be reached (<see cref="CampaignException.Retryable"/>), refused a command, or
    /// another sync publishes as this host now.
    /// </exception>
    public Task<SyncResult> SyncAsync(SyncDirection direction) => _connection.CallAsync(() => SyncOnceAsync(direction));

    private async Task<SyncResult> SyncOnceAsync(SyncDirection direction)
    {
        var skipped = new List<string>();
        (int pushedModules, long pushedBytes, bool republished) = direction.HasFlag(SyncDirection.Push) ? await PushAsync().ConfigureAwait(false) : (0, 0, false);
        (int pulledModules, long pulledEdges) = direction.HasFlag(SyncDirection.Pull) ? await PullAsync(skipped).ConfigureAwait(false) : (0, 0);
        long local = _region.CountCovered();
        long campaign = _modules.Values.Sum(m => CoverageMap.CountCovered(m.Published));
        await RecordSampleAsync(local, campaign).ConfigureAwait(false);
        return new SyncResult(pushedModules, pushedBytes, republished, pulledModules, pulledEdges, local, campaign, skipped);
    }

    private async Task<(int Modules, long Bytes, bool Republished)> PushAsync()
    {
        IDatabase db = _connection.Database;
        string campaign = _connection.Campaign;
        string owner = CampaignKeys.HostOwner(campaign, Host);
        if (_owned)
        {
            RedisValue current = await db.StringGetAsync(owner).ConfigureAwait(false);
            if (current.IsNull)
            {
                _owned = false; // the server lost the campaign (restarted without persistence, or flushed)
            }
            else if (current != _token)
            {
                throw new CampaignException($"Another sync now publishes as host '{Host}' in campaign '{campaign}': give each region a --host of its own.");
            }
        }

        bool republish = !_owned;
        if (republish)
        {
            foreach (ModuleState m in _modules.Values)
            {
                Array.Clear(m.Published);
                m.UnionBits = -1;
                m.Announced = false;
            }

            _generation = -1;
        }

        ITransaction tx = db.CreateTransaction();
        if (!republish)
        {
            tx.AddCondition(Condition.StringEqual(owner, _token));
        }

        var sent = new List<(ModuleState Module, int Offset, int Length)>();
        long bytes = 0;
        int modules = 0;
        foreach (RegionModule m in _region.Modules)
        {
            if (m.EdgeCount > Array.MaxLength)
            {
                continue; // larger than one string a push builds; such a module cannot be in any region's span either
            }

            string key = CampaignKeys.Module(_region.Kind, m.Identity, Host);
            ModuleState state = State(key, m.Identity);
            _region.GetModuleMap(m).CopyTo(state.Scratch);
            int before = sent.Count;
            foreach ((int offset, int length) in ChangedRuns(state.Scratch, state.Published))
            {
                _ = tx.StringSetRangeAsync(CampaignKeys.HostMap(campaign, Host, key), offset, state.Scratch.AsMemory(offset, length));
                sent.Add((state, offset, length));
                bytes += length;
            }

            if (!state.Announced)
            {
                _ = tx.SetAddAsync(CampaignKeys.Modules(campaign), key);
                _ = tx.HashSetAsync(CampaignKeys.Paths(campaign), key, m.Path, When.NotExists);
            }

            if (sent.Count > before)
            {
                string union = CampaignKeys.Union(campaign, key);
                _ = tx.StringBitOperationAsync(Bitwise.Or, union, [union, CampaignKeys.HostMap(campaign, Host, key)]);
                modules++;
            }
        }

        bool announce = _modules.Values.Any(m => !m.Announced);
        if (sent.Count == 0 && !republish && !announce)
        {
            return (0, 0, false);
        }

        if (sent.Count > 0)
        {
            _ = tx.StringIncrementAsync(CampaignKeys.Generation(campaign));
        }

        if (republish)
        {
            _ = tx.StringSetAsync(owner, _token);
        }

        if (!await tx.ExecuteAsync().ConfigureAwait(false))
        {
            // The owner key went between the check and the transaction: the next sync republishes.
            _owned = false;
            return (0, 0, false);
        }

        foreach ((ModuleState state, int offset, int length) in sent)
        {
            state.Scratch.AsSpan(offset, length).CopyTo(state.Published.AsSpan(offset, length));
        }

        foreach (ModuleState m in _modules.Values)
        {
            m.Announced = true;
        }

        _owned = true;
        return (modules, bytes, republish);
    }

    /// <summary>
    /// The runs of pages where <paramref name="current"/> has bits <paramref name="published"/> lacks.
    /// Those pages of <paramref name="current"/> become <c>current | published</c>: what the host key
    /// gets, so a reset region never clears bits it published.
    /// </summary>
    internal static List<(int Offset, int Length)> ChangedRuns(byte[] current, byte[] published)
    {
        var runs = new List<(int, int)>();
        int start = -1;
        for (int offset = 0; offset < current.Length; offset += ChunkBytes)
        {
            int length = Math.Min(ChunkBytes, current.Length - offset);
            Span<byte> page = current.AsSpan(offset, length);
            ReadOnlySpan<byte> old = published.AsSpan(offset, length);
            bool changed = false;
            if (!page.SequenceEqual(old))
            {
                CoverageMap.Or(old, page);
                changed = !page.SequenceEqual(old);
            }

            if (changed && start < 0)
            {
                start = offset;
            }
            else if (!changed && start >= 0)
            {
                runs.Add((start, offset - start));
                start = -1;
            }
        }

        if (start >= 0)
        {
            runs.Add((start, current.Length - start));
        }

        return runs;
    }

    private async Task<(int Modules, long Edges)> PullAsync(List<string> skipped)
    {
        IDatabase db = _connection.Database;
        string campaign = _connection.Campaign;
        RedisValue generationValue = await db.StringGetAsync(CampaignKeys.Generation(campaign)).ConfigureAwait(false);
        long generation = generationValue.IsNull ? 0 : (long)generationValue;
        if (generation == _generation)
        {
            return (0, 0);
        }

        var wanted = new List<(string Key, ModuleIdentity Identity)>();
        foreach (RedisValue member in await db.SetMembersAsync(CampaignKeys.Modules(campaign)).ConfigureAwait(false))
        {
            string key = member.ToString();
            if (CampaignKeys.TryParseModule(key, out RegionKind kind, out ModuleIdentity identity, out string? owner)
                && kind == _region.Kind && (owner is null || owner == Host) && identity.EdgeCount <= Array.MaxLength)
            {
                wanted.Add((key, identity));
            }
        }

        IBatch counts = db.CreateBatch();
        Task<long>[] bits = [.. wanted.Select(w => counts.StringBitCountAsync(CampaignKeys.Union(campaign, w.Key)))];
        counts.Execute();
        await Task.WhenAll(bits).ConfigureAwait(false);

        var grown = new List<int>();
        for (int i = 0; i < wanted.Count; i++)
        {
            if (bits[i].Result > 0 && (!_modules.TryGetValue(wanted[i].Key, out ModuleState? s) || s.UnionBits != bits[i].Result))
            {
                grown.Add(i);
            }
        }

        IBatch reads = db.CreateBatch();
        Task<RedisValue>[] unions = [.. grown.Select(i => reads.StringGetAsync(CampaignKeys.Union(campaign, wanted[i].Key)))];
        Task<RedisValue>[] paths = [.. grown.Select(i => reads.HashGetAsync(CampaignKeys.Paths(campaign), wanted[i].Key))];
        reads.Execute();
        await Task.WhenAll(unions.Concat(paths)).ConfigureAwait(false);

        long added = 0;
        int modules = 0;
        for (int g = 0; g < grown.Count; g++)
        {
            (string key, ModuleIdentity identity) = wanted[grown[g]];
            byte[] union = (byte[]?)unions[g].Result ?? [];
            if (union.LongLength > identity.EdgeCount)
            {
                skipped.Add($"module {identity}: its union in Redis is {union.LongLength} bytes, more than its {identity.EdgeCount} edges; not merged");
                continue;
            }

            string path = paths[g].Result.IsNull ? identity.ToString() : paths[g].Result.ToString();
            var map = new byte[identity.EdgeCount];
            union.CopyTo(map, 0);
            try
            {
                added += new CoverageMapFile([new MapModule(identity, path, map)]).ImportInto(_region);
            }
            catch (RegionTooSmallException e)
            {
                skipped.Add($"module {identity}: {e.Message}");
                continue;
            }

            ModuleState state = State(key, identity);
            CoverageMap.Or(map, state.Published);
            state.UnionBits = bits[grown[g]].Result;
            modules++;
        }

        _generation = generation;
        return (modules, added);
    }

    private async Task RecordSampleAsync(long local, long campaign)
    {
        IDatabase db = _connection.Database;
        string c = _connection.Campaign;
        // The host table every sync (what 'last seen' reads); the stream when coverage changed.
        Task table = db.HashSetAsync(CampaignKeys.Hosts(c), Host, $"{DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {local} {campaign}");
        if (local != _lastSampledEdges)
        {
            _ = await db.StreamAddAsync(CampaignKeys.Samples(c), [new("host", Host), new("edges", local), new("campaign", campaign)],
                maxLength: MaxSamples, useApproximateMaxLength: true).ConfigureAwait(false);
            _lastSampledEdges = local;
        }

        await table.ConfigureAwait(false);
    }

    private ModuleState State(string key, ModuleIdentity identity)
    {
        if (!_modules.TryGetValue(key, out ModuleState? state))
        {
            state = new ModuleState(new byte[identity.EdgeCount], new byte[identity.EdgeCount]);
            _modules.Add(key, state);
        }

        return state;
    }

    private sealed class ModuleState(byte[] published, byte[] scratch)
    {
        /// <summary>Bits known to be in the union: pushed by this session or pulled from it.</summary>
        public byte[] Published { get; } = published;

        /// <summary>The copy of the live map a push compares.</summary>
        public byte[] Scratch { get; } = scratch;

        /// <summary>The union's bit count when last pulled; -1 before.</summary>
        public long UnionBits { get; set; } = -1;

        /// <summary>Whether the module key and path are in the campaign's tables this session.</summary>
        public bool Announced { get; set; }
    }
}
