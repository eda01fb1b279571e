namespace Memcov.SharedMem;

/// <summary>
/// One module of a map file: its identity, its path, one byte per edge (non-zero = hit), and, for a
/// module compiled with <c>pc-table</c>, where each edge's code lies.
/// </summary>
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
        : this(identity, path, map, null)
    {
    }

    /// <summary>Creates a module with its PC table.</summary>
    /// <param name="identity">What every process matches the module by.</param>
    /// <param name="path">The module's path, for people; matching never uses it.</param>
    /// <param name="map">The module's edges, as for <see cref="MapModule(ModuleIdentity, string, byte[])"/>.</param>
    /// <param name="pcTable">One entry per edge, in edge order, or <see langword="null"/> when the module has none.</param>
    /// <exception cref="ArgumentException">
    /// The map's or the table's length is not the identity's edge count, or the table's first offset is 0.
    /// </exception>
    public MapModule(ModuleIdentity identity, string path, byte[] map, PcEntry[]? pcTable)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(map);
        if (map.LongLength != identity.EdgeCount)
        {
            throw new ArgumentException($"The map has {map.Length} bytes but module {identity} has {identity.EdgeCount} edges.", nameof(map));
        }

        if (pcTable is not null && (pcTable.LongLength != identity.EdgeCount || pcTable.Length == 0 || pcTable[0].Offset == 0))
        {
            throw new ArgumentException($"The PC table has {pcTable.Length} entries (first at {(pcTable.Length > 0 ? pcTable[0].Offset : 0)}) but module {identity} has {identity.EdgeCount} edges.", nameof(pcTable));
        }

        for (int i = 0; i < map.Length; i++)
        {
            map[i] = map[i] != 0 ? (byte)1 : (byte)0;
        }

        Identity = identity;
        Path = path;
        Map = map;
        if (pcTable is not null)
        {
            // Not a conditional: null would convert to an empty ReadOnlyMemory through the array.
            PcTable = pcTable;
        }
    }

    /// <summary>What every process matches the module by.</summary>
    public ModuleIdentity Identity { get; }

    /// <summary>The module's path.</summary>
    public string Path { get; }

    /// <summary>One byte per edge of the module.</summary>
    public ReadOnlyMemory<byte> Map { get; }

    /// <summary>Each edge's code, in edge order; <see langword="null"/> when the module was compiled without <c>pc-table</c>.</summary>
    public ReadOnlyMemory<PcEntry>? PcTable { get; }

    /// <summary>The module's covered edges.</summary>
    /// <returns>The number of non-zero bytes of <see cref="Map"/>.</returns>
    public long CountCovered() => CoverageMap.CountCovered(Map.Span);
}
