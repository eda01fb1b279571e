using System.Globalization;
using System.Text.RegularExpressions;
using Memcov.SharedMem;

namespace Memcov.Redis;

/// <summary>
/// The names of a campaign's keys (docs/redis-sync.md, "Keys"): the one definition. Every key starts
/// with <c>memcov:{CAMPAIGN}:</c>; the braces are a cluster hash tag, so BITOP finds all of a
/// campaign's keys on one node.
/// </summary>
public static partial class CampaignKeys
{
    /// <summary>The version of the key layout; a campaign written by another is refused.</summary>
    public const int LayoutVersion = 1;

    /// <summary>Whether <paramref name="name"/> is a valid campaign or host name: <c>[A-Za-z0-9][A-Za-z0-9._-]{0,99}</c>.</summary>
    /// <param name="name">The name.</param>
    /// <returns>True when valid.</returns>
    public static bool IsValidName(string? name) => name is not null && NamePattern().IsMatch(name);

    /// <summary>The campaign's key prefix.</summary>
    /// <param name="campaign">The campaign.</param>
    /// <returns><c>memcov:{campaign}:</c>.</returns>
    public static string Prefix(string campaign) => $"memcov:{{{campaign}}}:";

    /// <summary>The layout version key: a string, <see cref="LayoutVersion"/>.</summary>
    public static string Version(string campaign) => Prefix(campaign) + "version";

    /// <summary>The set of the campaign's module keys (<see cref="Module"/>).</summary>
    public static string Modules(string campaign) => Prefix(campaign) + "modules";

    /// <summary>The hash from module key to the module's file path, as the first host to publish it gave it.</summary>
    public static string Paths(string campaign) => Prefix(campaign) + "paths";

    /// <summary>The counter every publish that sent bytes increments: a host pulls when it moved.</summary>
    public static string Generation(string campaign) => Prefix(campaign) + "generation";

    /// <summary>The value of <see cref="Generation"/>: 0 when missing.</summary>
    /// <param name="value">What GET returned.</param>
    /// <param name="campaign">The campaign, for the message.</param>
    /// <returns>The counter.</returns>
    /// <exception cref="CampaignException">The key holds something else than an integer: another program wrote it.</exception>
    internal static long ReadCounter(StackExchange.Redis.RedisValue value, string campaign)
    {
        if (value.IsNull)
        {
            return 0;
        }

        if (!long.TryParse(value.ToString(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long counter))
        {
            string shown = value.ToString();
            throw new CampaignException($"The key {Generation(campaign)} holds '{(shown.Length > 40 ? shown[..40] + "…" : shown)}', not a counter: another program wrote it; delete it and every host publishes again.");
        }

        return counter;
    }

    /// <summary>The stream of the hosts' samples.</summary>
    public static string Samples(string campaign) => Prefix(campaign) + "samples";

    /// <summary>The set of hosts that published.</summary>
    public static string Hosts(string campaign) => Prefix(campaign) + "hosts";

    /// <summary>A module's union: one byte per edge, the OR of every host's <see cref="HostMap"/>.</summary>
    public static string Union(string campaign, string module) => Prefix(campaign) + "union:" + module;

    /// <summary>What one host published of a module: one byte per edge.</summary>
    public static string HostMap(string campaign, string host, string module) => Prefix(campaign) + "host:" + host + ":map:" + module;

    /// <summary>
    /// The token of the sync session that publishes as <paramref name="host"/>. Missing after a server
    /// restart without persistence: the host then publishes everything again.
    /// </summary>
    public static string HostOwner(string campaign, string host) => Prefix(campaign) + "host:" + host + ":owner";

    /// <summary>
    /// A module's key: the region kind, then the module identity of map files (docs/region-format.md,
    /// "Matching"): <c>KIND.build-id.ID.EDGES.MODE</c>, or <c>KIND.path.ID.EDGES.MODE.SIZE@HOST</c>
    /// for a module identified by its path, which is the same module only on the host that loaded it.
    /// </summary>
    /// <param name="kind">What the region's bytes hold: flag and count-class bytes never mix.</param>
    /// <param name="identity">The module.</param>
    /// <param name="host">The publishing host: qualifies path identities.</param>
    /// <returns>The module key.</returns>
    public static string Module(RegionKind kind, ModuleIdentity identity, string host)
    {
        string head = string.Create(CultureInfo.InvariantCulture, $"{KindName(kind)}.{(identity.Kind == ModuleIdKind.BuildId ? "build-id" : "path")}.{identity.Id}.{identity.EdgeCount}.{ModeName(identity.Mode)}");
        return identity.Kind == ModuleIdKind.BuildId ? head : string.Create(CultureInfo.InvariantCulture, $"{head}.{identity.FileSize}@{host}");
    }

    /// <summary>Reads a module key back.</summary>
    /// <param name="key">A module key.</param>
    /// <param name="kind">The region kind.</param>
    /// <param name="identity">The module.</param>
    /// <param name="host">The host a path identity belongs to; null for a build-id.</param>
    /// <returns>False when the text is not a module key of this layout.</returns>
    public static bool TryParseModule(string key, out RegionKind kind, out ModuleIdentity identity, out string? host)
    {
        kind = default;
        identity = default;
        host = null;
        Match m = ModulePattern().Match(key ?? "");
        if (!m.Success || !TryKind(m.Groups["kind"].Value, out kind) || !TryMode(m.Groups["mode"].Value, out ModuleMode mode)
            || !long.TryParse(m.Groups["edges"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out long edges)
            || edges < 1 || edges > RegionFormat.MaxCapacity)
        {
            return false;
        }

        bool path = m.Groups["idkind"].Value == "path";
        if (path != m.Groups["size"].Success)
        {
            return false;
        }

        long size = 0;
        if (path && !long.TryParse(m.Groups["size"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out size))
        {
            return false;
        }

        identity = new ModuleIdentity(path ? ModuleIdKind.PathHash : ModuleIdKind.BuildId, m.Groups["id"].Value, edges, mode, size);
        host = path ? m.Groups["host"].Value : null;
        return true;
    }

    // The words of the key for region kinds and module modes: the one table each way.
    private static readonly (RegionKind Kind, string Name)[] KindNames = [(RegionKind.Flags, "flags"), (RegionKind.Classes, "classes")];
    private static readonly (ModuleMode Mode, string Name)[] ModeNames = [(ModuleMode.Callback, "callback"), (ModuleMode.Inline, "inline")];

    private static string KindName(RegionKind kind) => NameIn(KindNames, kind, "a region kind");

    private static bool TryKind(string text, out RegionKind kind) => TryValueIn(KindNames, text, out kind);

    private static string ModeName(ModuleMode mode) => NameIn(ModeNames, mode, "a module mode");

    private static bool TryMode(string text, out ModuleMode mode) => TryValueIn(ModeNames, text, out mode);

    private static string NameIn<T>((T Value, string Name)[] table, T value, string what)
        where T : struct, Enum
    {
        foreach ((T v, string name) in table)
        {
            if (EqualityComparer<T>.Default.Equals(v, value))
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(value), value, $"Not {what}.");
    }

    private static bool TryValueIn<T>((T Value, string Name)[] table, string text, out T value)
        where T : struct, Enum
    {
        foreach ((T v, string name) in table)
        {
            if (name == text)
            {
                value = v;
                return true;
            }
        }

        value = default;
        return false;
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$", RegexOptions.CultureInvariant)]
    private static partial Regex NamePattern();

    [GeneratedRegex(@"^(?<kind>[a-z]+)\.(?<idkind>build-id|path)\.(?<id>(?:[0-9a-f]{2}){1,32})\.(?<edges>[0-9]{1,10})\.(?<mode>[a-z]+)(\.(?<size>[0-9]{1,19})@(?<host>[A-Za-z0-9][A-Za-z0-9._-]{0,99}))?$", RegexOptions.CultureInvariant)]
    private static partial Regex ModulePattern();
}
