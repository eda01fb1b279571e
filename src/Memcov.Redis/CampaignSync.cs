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
    private long _sequence;
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
    /// Whether a pull also adds the campaign's modules the region does not have (another build,
    /// another host's libraries) to its table: for a region that gathers the campaign. Off, a pull
    /// merges only the region's own modules, and leaves its capacity to the targets.
    /// </summary>
    public bool PullsUnseenModules { get; init; }

    /// <summary>
    /// Pushes, pulls, or both, then records a sample for live views. What was not confirmed by the
    /// server is sent again by the next sync. A module whose keys the server refuses (another
    /// client's value of another type there) is skipped with a line in <see cref="SyncResult.Skipped"/>,
    /// as are a pull and a sample the server refuses: the push still happens.
    /// </summary>
    /// <param name="direction">Which ways to go.</param>
    /// <returns>What was done.</returns>
    /// <exception cref="CampaignException">
    /// The server could not be reached (<see cref="CampaignException.Retryable"/>), refused the
    /// host's own key, or another sync publishes as this host now.
    /// </exception>
    public Task<SyncResult> SyncAsync(SyncDirection direction) => _connection.CallAsync(() => SyncOnceAsync(direction));

    private async Task<SyncResult> SyncOnceAsync(SyncDirection direction)
    {
        var skipped = new List<string>();
        (int pushedModules, long pushedBytes, bool republished) = direction.HasFlag(SyncDirection.Push) ? await PushAsync(skipped).ConfigureAwait(false) : (0, 0, false);
        (int pulledModules, long pulledEdges) = (0, 0);
        if (direction.HasFlag(SyncDirection.Pull))
        {
            try
            {
                (pulledModules, pulledEdges) = await PullAsync(skipped).ConfigureAwait(false);
            }
            catch (Exception e) when (Refused(e))
            {
                skipped.Add($"pull: {_connection.Failure(e).Message}");
            }
        }

        long local = _region.CountCovered();
        long campaign = _modules.Values.Sum(m => CoverageMap.CountCovered(m.Published));
        try
        {
            await RecordSampleAsync(local, campaign).ConfigureAwait(false);
        }
        catch (Exception e) when (Refused(e))
        {
            skipped.Add($"samples: {_connection.Failure(e).Message}");
        }

        return new SyncResult(pushedModules, pushedBytes, republished, pulledModules, pulledEdges, local, campaign, skipped);
    }

    /// <summary>The server answered, with a refusal or a value memcov cannot read: not a lost connection.</summary>
    private static bool Refused(Exception e) =>
        e is RedisServerException or InvalidCastException or FormatException or CampaignException { Retryable: false };

    private async Task<(int Modules, long Bytes, bool Republished)> PushAsync(List<string> skipped)
    {
        IDatabase db = _connection.Database;
        string campaign = _connection.Campaign;
        string owner = CampaignKeys.HostOwner(campaign, Host);
        string expected = $"{_token}:{_sequence}";
        if (_owned)
        {
            RedisValue current = await db.StringGetAsync(owner).ConfigureAwait(false);
            if (current.IsNull || (current != expected && current.StartsWith(_token + ":")))
            {
                // Gone: the server lost the campaign (restarted without persistence, flushed). Or this
                // session's older value: the server went back to an older state (a snapshot, a
                // failover) and may lack what was sent since. Either way, everything again.
                _owned = false;
            }
            else if (current != expected)
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
            tx.AddCondition(Condition.StringEqual(owner, expected));
        }

        var pushes = new List<Push>();
        foreach (RegionModule m in _region.Modules)
        {
            if (m.EdgeCount > Array.MaxLength)
            {
                skipped.Add($"module {m.Identity}: more edges than one string a push builds; not published");
                continue;
            }

            string key = CampaignKeys.Module(_region.Kind, m.Identity, Host);
            ModuleState state = State(key, m.Identity);
            _region.GetModuleMap(m).CopyTo(state.Scratch);
            var push = new Push(state, m.Identity);
            string hostMap = CampaignKeys.HostMap(campaign, Host, key);
            foreach ((int offset, int length) in ChangedRuns(state.Scratch, state.Published))
            {
                push.Commands.Add(tx.StringSetRangeAsync(hostMap, offset, state.Scratch.AsMemory(offset, length)));
                push.Runs.Add((offset, length));
            }

            if (!state.Announced)
            {
                push.Commands.Add(tx.SetAddAsync(CampaignKeys.Modules(campaign), key));
                push.Commands.Add(tx.HashSetAsync(CampaignKeys.Paths(campaign), key, m.Path, When.NotExists));
            }

            if (push.Runs.Count > 0)
            {
                string union = CampaignKeys.Union(campaign, key);
                push.Commands.Add(tx.StringBitOperationAsync(Bitwise.Or, union, [union, hostMap]));
            }

            if (push.Commands.Count > 0)
            {
                pushes.Add(push);
            }
        }

        if (pushes.Count == 0 && !republish)
        {
            return (0, 0, false);
        }

        Task<long>? generation = pushes.Any(p => p.Runs.Count > 0) ? tx.StringIncrementAsync(CampaignKeys.Generation(campaign)) : null;
        Task<bool> claimed = tx.StringSetAsync(owner, $"{_token}:{_sequence + 1}");
        if (!await tx.ExecuteAsync().ConfigureAwait(false))
        {
            // The owner key changed between the check and the transaction: the next sync looks again.
            _owned = false;
            return (0, 0, false);
        }

        _sequence++;
        _owned = await _connection.ConfirmedAsync(claimed, "the host's owner key", skipped).ConfigureAwait(false);

        // Redis runs every command of a transaction even when one fails: a module is published only
        // where each of its commands succeeded, and is sent again otherwise.
        int modules = 0;
        long bytes = 0;
        foreach (Push push in pushes)
        {
            if (!await _connection.ConfirmedAsync(Task.WhenAll(push.Commands), $"module {push.Identity}", skipped).ConfigureAwait(false))
            {
                continue;
            }

            foreach ((int offset, int length) in push.Runs)
            {
                push.State.Scratch.AsSpan(offset, length).CopyTo(push.State.Published.AsSpan(offset, length));
                bytes += length;
            }

            push.State.Announced = true;
            modules += push.Runs.Count > 0 ? 1 : 0;
        }

        if (generation is not null)
        {
            _ = await _connection.ConfirmedAsync(generation, "the campaign's generation counter (other hosts do not see this push)", skipped).ConfigureAwait(false);
        }

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
        long generation = CampaignKeys.ReadCounter(await db.StringGetAsync(CampaignKeys.Generation(campaign)).ConfigureAwait(false), campaign);
        if (generation < _generation)
        {
            // The counter went back: the server lost or restored the campaign. Nothing known holds.
            foreach (ModuleState m in _modules.Values)
            {
                m.UnionBits = -1;
            }
        }
        else if (generation == _generation)
        {
            return (0, 0);
        }

        HashSet<ModuleIdentity> own = [.. _region.Modules.Select(m => m.Identity)];
        List<UnionScan.Moved> grown = await UnionScan.FindMovedAsync(_connection,
            (kind, identity, owner) => kind == _region.Kind && (owner is null || owner == Host) && identity.EdgeCount <= Array.MaxLength
                && (PullsUnseenModules || own.Contains(identity)),
            key => _modules.TryGetValue(key, out ModuleState? s) ? s.UnionBits : -1, skipped).ConfigureAwait(false);
        grown.RemoveAll(m => m.Bits == 0); // nothing to merge

        IBatch reads = db.CreateBatch();
        Task<RedisValue>[] unions = [.. grown.Select(m => reads.StringGetAsync(CampaignKeys.Union(campaign, m.Key)))];
        Task<RedisValue>[] paths = [.. grown.Select(m => reads.HashGetAsync(CampaignKeys.Paths(campaign), m.Key))];
        reads.Execute();

        long added = 0;
        int modules = 0;
        for (int g = 0; g < grown.Count; g++)
        {
            (string key, ModuleIdentity identity, long bits) = grown[g];
            if (!await _connection.ConfirmedAsync(Task.WhenAll(unions[g], paths[g]), $"module {identity}: its union", skipped).ConfigureAwait(false))
            {
                continue;
            }

            byte[] union = (byte[]?)unions[g].Result ?? [];
            if (union.LongLength > identity.EdgeCount)
            {
                skipped.Add(UnionScan.TooLong(identity, union.LongLength)); // it grew since STRLEN
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
            state.UnionBits = bits;
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

    /// <summary>What one push sends of a module, and the commands that must all succeed for it to count.</summary>
    private sealed class Push(ModuleState state, ModuleIdentity identity)
    {
        public ModuleState State { get; } = state;

        public ModuleIdentity Identity { get; } = identity;

        public List<(int Offset, int Length)> Runs { get; } = [];

        public List<Task> Commands { get; } = [];
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
