
namespace Memcov.SharedMem;

/// <summary>
/// A coverage map kept offline (docs/map-file-format.md): each module's identity, path and edges, and
/// the PC tables of modules that have them.
/// Maps are matched by module identity and edge offset, never by raw region slot, so maps from
/// regions whose modules registered in different orders merge, diff and import correctly.
/// </summary>
/// <remarks>
/// The file format is libmemcov's (native/include/memcov_map.h): this type reads and writes it
/// through libmemcov's codec, the one that <c>serialize_mem_coverage</c>, the Python module and the
/// memcov command use. It reads map files of version 2 and 1 and serialize blobs of version 1, and
/// writes version 2.
/// </remarks>
public sealed class CoverageMapFile
{
    /// <summary>The first 8 bytes of a map file.</summary>
    public const string Magic = "MCOVMAPF";

    /// <summary>The map file format version this library writes; it also reads version 1 and serialize blobs.</summary>
    public const int Version = 2;

    /// <summary>The largest map file the format allows (memcov_map.h, MCOV_MAP_MAX_BYTES).</summary>
    internal const long FormatMaxBytes = 1L << 40;

    /// <summary>Map kind: every non-zero edge byte means "hit" (memcov_map.h, MCOV_MAP_FLAGS).</summary>
    private const uint KindFlags = 1;

    /// <summary>Creates a map from modules with distinct identities.</summary>
    /// <param name="modules">The modules, in the order to keep.</param>
    /// <exception cref="ArgumentException">Two modules have the same identity.</exception>
    public CoverageMapFile(IEnumerable<MapModule> modules)
    {
        ArgumentNullException.ThrowIfNull(modules);
        Modules = [.. modules];
        var seen = new HashSet<ModuleIdentity>();
        foreach (MapModule m in Modules)
        {
            if (!seen.Add(m.Identity))
            {
                throw new ArgumentException($"Module {m.Identity} ({m.Path}) appears twice; merge its maps first.", nameof(modules));
            }
        }
    }

    /// <summary>The modules, in file order.</summary>
    public IReadOnlyList<MapModule> Modules { get; }

    /// <summary>Edges of every module.</summary>
    public long EdgeCount => Modules.Sum(m => m.Identity.EdgeCount);

    /// <summary>The capacity of a region that holds every module of this map: each rounded up to 4096 slots.</summary>
    public long RequiredCapacityEdges => Modules.Sum(m => (long)RegionFormat.RoundUp((ulong)m.Identity.EdgeCount));

    /// <summary>Counts the covered edges of every module.</summary>
    /// <returns>The number of edges hit.</returns>
    public long CountCovered() => Modules.Sum(m => m.CountCovered());

    /// <summary>Copies every module of <paramref name="region"/> out of its live map.</summary>
    /// <param name="region">The region.</param>
    /// <returns>The map, in the region's table order.</returns>
    public static CoverageMapFile FromRegion(CoverageRegion region)
    {
        ArgumentNullException.ThrowIfNull(region);
        var modules = new List<MapModule>();
        var seen = new HashSet<ModuleIdentity>();
        foreach (RegionModule m in region.Modules)
        {
            // A table never holds one identity twice; a damaged one could, and its first range is the one processes use.
            if (seen.Add(m.Identity))
            {
                // A PC file that cannot be read leaves the module without a table: its edges still count.
                modules.Add(new MapModule(m.Identity, m.Path, region.GetModuleMap(m).ToArray(),
                    region.TryGetPcTable(m, out PcEntry[]? pcs, out _) ? pcs : null));
            }
        }

        return new CoverageMapFile(modules);
    }

    /// <summary>
    /// ORs every map into one, module by module: the union of what they cover. Modules are matched by
    /// identity; a module present in only some maps is kept with what those cover.
    /// </summary>
    /// <param name="maps">The maps.</param>
    /// <returns>The union, with modules in the order they first appear.</returns>
    public static CoverageMapFile Merge(IEnumerable<CoverageMapFile> maps)
    {
        ArgumentNullException.ThrowIfNull(maps);
        var union = new Dictionary<ModuleIdentity, (string Path, byte[] Map, PcEntry[]? Pcs)>();
        var order = new List<ModuleIdentity>();
        foreach (CoverageMapFile map in maps)
        {
            foreach (MapModule m in map.Modules)
            {
                if (union.TryGetValue(m.Identity, out var into))
                {
                    CoverageMap.Or(m.Map.Span, into.Map);
                    if (into.Pcs is null && m.PcTable is { } pcs)
                    {
                        union[m.Identity] = into with { Pcs = pcs.ToArray() };
                    }
                }
                else
                {
                    union.Add(m.Identity, (m.Path, m.Map.ToArray(), m.PcTable?.ToArray()));
                    order.Add(m.Identity);
                }
            }
        }

        return new CoverageMapFile(order.Select(id => new MapModule(id, union[id].Path, union[id].Map, union[id].Pcs)));
    }

    /// <summary>The edges covered in <paramref name="first"/> and not in <paramref name="second"/>, and the reverse, per module.</summary>
    /// <param name="first">One map.</param>
    /// <param name="second">The other map.</param>
    /// <returns>One entry per module that differs, in first-appearance order; empty when the coverage is the same.</returns>
    public static IReadOnlyList<ModuleDiff> Diff(CoverageMapFile first, CoverageMapFile second)
    {
        ArgumentNullException.ThrowIfNull(first);
        ArgumentNullException.ThrowIfNull(second);
        var a = first.Modules.ToDictionary(m => m.Identity);
        var b = second.Modules.ToDictionary(m => m.Identity);
        var diffs = new List<ModuleDiff>();
        foreach (MapModule m in first.Modules.Concat(second.Modules.Where(m => !a.ContainsKey(m.Identity))))
        {
            ReadOnlySpan<byte> inA = a.TryGetValue(m.Identity, out MapModule? ma) ? ma.Map.Span : default;
            ReadOnlySpan<byte> inB = b.TryGetValue(m.Identity, out MapModule? mb) ? mb.Map.Span : default;
            List<long> onlyA = OnlyIn(inA, inB), onlyB = OnlyIn(inB, inA);
            if (onlyA.Count > 0 || onlyB.Count > 0)
            {
                diffs.Add(new ModuleDiff(m.Identity, m.Path, onlyA, onlyB));
            }
        }

        return diffs;
    }

    /// <summary>
    /// ORs this map into <paramref name="region"/>, module by module, with atomic merges that are safe
    /// while processes record. Modules the region has not seen yet are added to its table first, under
    /// the native runtime's registration protocol, so processes that load them later find their edges.
    /// </summary>
    /// <param name="region">The region to add to; nothing in it is cleared.</param>
    /// <returns>The edges that were not covered in the region before.</returns>
    /// <exception cref="RegionTooSmallException">The new modules do not fit; nothing was written.</exception>
    /// <exception cref="RegionNotFoundException">The region's file was removed or replaced since it was attached.</exception>
    /// <exception cref="IOException">The region's registration lock stayed held by a live process for 10 seconds.</exception>
    /// <exception cref="PlatformNotSupportedException">The OS is not Linux (the registration lock is a Linux file lock).</exception>
    public long ImportInto(CoverageRegion region)
    {
        ArgumentNullException.ThrowIfNull(region);
        long[] bases = region.ClaimRanges([.. Modules.Select(m => (m.Identity, m.Path))]);
        long added = 0;
        for (int i = 0; i < Modules.Count; i++)
        {
            Span<byte> slots = region.GetWritableSlots(bases[i], Modules[i].Identity.EdgeCount, i, Modules[i].Path);
            added += CoverageMap.AtomicOr(Modules[i].Map.Span, slots);
        }

        // The edges are in; the PC tables, for reports, only where they can be kept.
        foreach (MapModule m in Modules)
        {
            if (m.PcTable is { } pcs)
            {
                _ = region.TryPutPcTable(m.Identity, m.Path, pcs.Span);
            }
        }

        return added;
    }

    /// <summary>
    /// The largest map file <see cref="Load"/> reads: the format's limit, or what one .NET array holds
    /// (a map is read whole), whichever is less.
    /// </summary>
    internal static long MaxLoadBytes => Math.Min(FormatMaxBytes, Array.MaxLength);

    /// <summary>Reads a map file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The map.</returns>
    /// <exception cref="MapFileCorruptException">The file is not a valid map file.</exception>
    /// <exception cref="IOException">
    /// The path is not a regular file (a FIFO, a device, a directory), or the file is larger than a map
    /// this library reads; it is refused before anything is read from it.
    /// </exception>
    public static CoverageMapFile Load(string path)
    {
        using FileStream file = RegularFile.OpenRead(path, MaxLoadBytes,
            $"a map file this library reads is at most {MaxLoadBytes} bytes (one .NET array; the format allows 2^40).");
        byte[] bytes = GC.AllocateUninitializedArray<byte>((int)file.Length);
        file.ReadExactly(bytes);
        return Parse(bytes, path);
    }

    /// <summary>
    /// Writes the map to <paramref name="path"/>, replacing the file only once it is complete. A symlink
    /// at the path is replaced, not written through; anything else but a regular file there is refused.
    /// </summary>
    /// <param name="path">The file.</param>
    /// <exception cref="IOException">A directory, FIFO, device or socket is at the path, or the write failed.</exception>
    public void Save(string path) => AtomicFile.Write(path, ToBytes());

    /// <summary>The map in the map file format, version 2.</summary>
    /// <returns>The file's bytes.</returns>
    /// <exception cref="InvalidOperationException">The map is too large for one file.</exception>
    public unsafe byte[] ToBytes()
    {
        long edges = EdgeCount;
        long pcCount = Modules.Where(m => m.PcTable is not null).Sum(m => m.Identity.EdgeCount);
        ulong size = Interop.Memcov.MapFileSizePcs((uint)Modules.Count, (ulong)edges, (ulong)pcCount);
        if (size == 0 || size > (ulong)Array.MaxLength || edges > Array.MaxLength)
        {
            throw new InvalidOperationException($"A map of {Modules.Count} modules and {edges} edges is too large for one file.");
        }

        var entries = new ModuleEntry[Modules.Count];
        byte[] data = GC.AllocateUninitializedArray<byte>((int)edges);
        PcEntry[]? pcs = pcCount > 0 ? new PcEntry[edges] : null;
        long offset = 0;
        for (int i = 0; i < entries.Length; i++)
        {
            MapModule m = Modules[i];
            entries[i] = ModuleEntry.Create(m.Identity, m.Path, (ulong)offset);
            m.Map.Span.CopyTo(data.AsSpan((int)offset));
            m.PcTable?.Span.CopyTo(pcs.AsSpan((int)offset));
            offset += m.Identity.EdgeCount;
        }

        byte[] file = GC.AllocateUninitializedArray<byte>((int)size);
        int status;
        fixed (ModuleEntry* e = entries)
        fixed (byte* d = data)
        fixed (PcEntry* p = pcs)
        fixed (byte* f = file)
        {
            status = Interop.Memcov.MapWritePcs(e, (uint)entries.Length, KindFlags, d, (ulong)data.Length, p, f, (ulong)file.Length);
        }

        if (status != Interop.Memcov.MCOV_OK)
        {
            throw new InvalidOperationException(NativeStatus.LastError);
        }

        return file;
    }

    /// <summary>
    /// Parses an offline map: a map file (version 2 or 1) or a <c>serialize_mem_coverage</c> blob of
    /// version 1, checking everything before anything is used. A blob carries no paths, and may list a
    /// module twice; its records of one module are merged.
    /// </summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="source">The file's name, for messages.</param>
    /// <returns>The map.</returns>
    /// <exception cref="MapFileCorruptException">The bytes are not a valid map of a version this library reads.</exception>
    public static unsafe CoverageMapFile Parse(ReadOnlySpan<byte> bytes, string source)
    {
        ModuleEntry[] entries;
        byte[] edges;
        PcEntry[]? pcs;
        fixed (byte* data = bytes)
        {
            if (Interop.Memcov.MapCheck(data, (ulong)bytes.Length, out Interop.Memcov.MapSummary summary) != Interop.Memcov.MCOV_OK)
            {
                throw new MapFileCorruptException(source, NativeStatus.LastError);
            }

            if (summary.EdgeCount > (ulong)Array.MaxLength)
            {
                throw new MapFileCorruptException(source, $"its {summary.EdgeCount} edges are more than one array holds");
            }

            entries = new ModuleEntry[summary.ModuleCount];
            edges = GC.AllocateUninitializedArray<byte>((int)summary.EdgeCount);
            pcs = summary.PcModules > 0 ? GC.AllocateUninitializedArray<PcEntry>((int)summary.EdgeCount) : null;
            int status;
            fixed (ModuleEntry* e = entries)
            fixed (byte* d = edges)
            fixed (PcEntry* p = pcs)
            {
                status = Interop.Memcov.MapRead(data, (ulong)bytes.Length, e, (uint)entries.Length, d, (ulong)edges.Length);
                if (status == Interop.Memcov.MCOV_OK && pcs is not null)
                {
                    status = Interop.Memcov.MapReadPcs(data, (ulong)bytes.Length, p, (ulong)pcs.Length);
                }
            }

            if (status != Interop.Memcov.MCOV_OK)
            {
                throw new MapFileCorruptException(source, NativeStatus.LastError);
            }
        }

        var modules = new List<MapModule>(entries.Length);
        for (int i = 0; i < entries.Length; i++)
        {
            RegionModule m = RegionModule.FromEntry(i, entries[i]);
            PcEntry[]? table = pcs?.AsSpan((int)m.Base, (int)m.EdgeCount).ToArray();
            modules.Add(new MapModule(m.Identity, m.Path, edges.AsSpan((int)m.Base, (int)m.EdgeCount).ToArray(),
                table is { Length: > 0 } && table[0].Offset != 0 ? table : null));
        }

        // Only a blob lists a module twice (the checker refuses it in map files).
        return modules.Select(m => m.Identity).Distinct().Count() == modules.Count
            ? new CoverageMapFile(modules)
            : Merge([new CoverageMapFile(modules.Take(0)), .. modules.Select(m => new CoverageMapFile([m]))]);
    }

    private static List<long> OnlyIn(ReadOnlySpan<byte> map, ReadOnlySpan<byte> other)
    {
        var only = new List<long>();
        for (int i = 0; i < map.Length; i++)
        {
            if (map[i] != 0 && (i >= other.Length || other[i] == 0))
            {
                only.Add(i);
            }
        }

        return only;
    }
}
