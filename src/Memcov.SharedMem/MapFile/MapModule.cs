namespace Memcov.SharedMem;

/// <summary>One module of a map file: its identity, its path, and one byte per edge (non-zero = hit).</summary>
public sealed class MapModule
{
    /// <summary>Creates a module; <paramref name="map"/> must have one byte per edge.</summary>
    /// <param name="identity">What every process matches the module by.</param>
    /// <param name="path">The module's path, for people; matching never uses it.</param>
    /// <param name="map">
    /// The module's edges; the module keeps this array and stores 1 in every non-zero byte, the only
    /// value a region holds for a hit.
    /// </param>
    /// <exception cref="ArgumentException">The map's length is not the identity's edge count.</exception>
    public MapModule(ModuleIdentity identity, string path, byte[] map)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(map);
        if (map.LongLength != identity.EdgeCount)
        {
            throw new ArgumentException($"The map has {map.Length} bytes but module {identity} has {identity.EdgeCount} edges.", nameof(map));
        }

        for (int i = 0; i < map.Length; i++)
        {
            map[i] = map[i] != 0 ? (byte)1 : (byte)0;
        }

        Identity = identity;
        Path = path;
        Map = map;
    }

    /// <summary>What every process matches the module by.</summary>
    public ModuleIdentity Identity { get; }

    /// <summary>The module's path.</summary>
    public string Path { get; }

    /// <summary>One byte per edge of the module.</summary>
    public ReadOnlyMemory<byte> Map { get; }

    /// <summary>The module's covered edges.</summary>
    /// <returns>The number of non-zero bytes of <see cref="Map"/>.</returns>
    public long CountCovered() => CoverageMap.CountCovered(Map.Span);
}
