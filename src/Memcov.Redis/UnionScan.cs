using StackExchange.Redis;
using Memcov.SharedMem;

namespace Memcov.Redis;

/// <summary>
/// Which of a campaign's unions moved since a reader last read them, without downloading any: the
/// module set, then <c>BITCOUNT</c> and <c>STRLEN</c> of each union in one batch (OR only adds bits,
/// so a union changed when its bit count did). One definition for a pull and for a view.
/// </summary>
internal static class UnionScan
{
    /// <summary>A union whose bit count differs from what the reader knew.</summary>
    /// <param name="Key">The module key.</param>
    /// <param name="Identity">The module.</param>
    /// <param name="Bits">The union's bit count now.</param>
    internal readonly record struct Moved(string Key, ModuleIdentity Identity, long Bits);

    /// <summary>The unions of the module keys <paramref name="wanted"/> keeps whose bit count is not <paramref name="knownBits"/>'s.</summary>
    /// <param name="connection">The campaign.</param>
    /// <param name="wanted">Which module keys to look at: kind, identity, and the host of a path identity.</param>
    /// <param name="knownBits">The bit count the reader knew of a module key, or -1.</param>
    /// <param name="problems">Gets a line per union that is no union (another type there, longer than its module); null: passed over silently.</param>
    /// <returns>The unions that moved.</returns>
    internal static async Task<List<Moved>> FindMovedAsync(CampaignConnection connection, Func<RegionKind, ModuleIdentity, string?, bool> wanted,
        Func<string, long> knownBits, List<string>? problems)
    {
        IDatabase db = connection.Database;
        string campaign = connection.Campaign;
        var keys = new List<(string Key, ModuleIdentity Identity)>();
        foreach (RedisValue member in await db.SetMembersAsync(CampaignKeys.Modules(campaign)).ConfigureAwait(false))
        {
            string key = member.ToString();
            if (CampaignKeys.TryParseModule(key, out RegionKind kind, out ModuleIdentity identity, out string? host) && wanted(kind, identity, host))
            {
                keys.Add((key, identity));
            }
        }

        IBatch batch = db.CreateBatch();
        Task<long>[] bits = [.. keys.Select(k => batch.StringBitCountAsync(CampaignKeys.Union(campaign, k.Key)))];
        Task<long>[] lengths = [.. keys.Select(k => batch.StringLengthAsync(CampaignKeys.Union(campaign, k.Key)))];
        batch.Execute();
        var moved = new List<Moved>();
        for (int i = 0; i < keys.Count; i++)
        {
            if (!await connection.ConfirmedAsync(Task.WhenAll(bits[i], lengths[i]), $"module {keys[i].Identity}: its union", problems).ConfigureAwait(false))
            {
                continue;
            }

            if (lengths[i].Result > keys[i].Identity.EdgeCount)
            {
                problems?.Add(TooLong(keys[i].Identity, lengths[i].Result));
            }
            else if (knownBits(keys[i].Key) != bits[i].Result)
            {
                moved.Add(new Moved(keys[i].Key, keys[i].Identity, bits[i].Result));
            }
        }

        return moved;
    }

    /// <summary>The line for a union longer than its module: not merged.</summary>
    internal static string TooLong(ModuleIdentity identity, long length) =>
        $"module {identity}: its union in Redis is {length} bytes, more than its {identity.EdgeCount} edges; not merged";
}
