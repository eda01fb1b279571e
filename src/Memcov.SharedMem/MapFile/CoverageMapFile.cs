using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

/// <summary>
/// A coverage map kept offline (docs/map-file-format.md): each module's identity, path and edges.
/// Maps are matched by module identity and edge offset, never by raw region slot, so maps from
/// regions whose modules registered in different orders merge, diff and import correctly.
/// </summary>
public sealed class CoverageMapFile
{
    /// <summary>The first 8 bytes of a map file.</summary>
    public const string Magic = "MCOVMAPF";

    /// <summary>The map file format version this library writes and reads.</summary>
    public const int Version = 1;

    private const int HeaderSize = 32;
    private const int TrailerSize = 8;

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
    public long RequiredCapacityEdges => Modules.Sum(m => (long)RegionValidator.RoundUp((ulong)m.Identity.EdgeCount));

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
                modules.Add(new MapModule(m.Identity, m.Path, region.GetModuleMap(m).ToArray()));
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
        var union = new Dictionary<ModuleIdentity, (string Path, byte[] Map)>();
        var order = new List<ModuleIdentity>();
        foreach (CoverageMapFile map in maps)
        {
            foreach (MapModule m in map.Modules)
            {
                if (union.TryGetValue(m.Identity, out var into))
                {
                    CoverageMap.Or(m.Map.Span, into.Map);
                }
                else
                {
                    union.Add(m.Identity, (m.Path, m.Map.ToArray()));
                    order.Add(m.Identity);
                }
            }
        }

        return new CoverageMapFile(order.Select(id => new MapModule(id, union[id].Path, union[id].Map)));
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

        return added;
    }

    /// <summary>Reads a map file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The map.</returns>
    /// <exception cref="MapFileCorruptException">The file is not a valid map file.</exception>
    public static CoverageMapFile Load(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Writes the map to <paramref name="path"/>, replacing the file only once it is complete.</summary>
    /// <param name="path">The file.</param>
    public void Save(string path)
    {
        string temp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temp, ToBytes());
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The map in the map file format.</summary>
    /// <returns>The file's bytes.</returns>
    public byte[] ToBytes()
    {
        long mapBytes = EdgeCount;
        long size = HeaderSize + ((long)RegionFormat.ModuleEntrySize * Modules.Count) + mapBytes + TrailerSize;
        if (size > Array.MaxLength)
        {
            throw new InvalidOperationException($"A map of {mapBytes} edges is too large for one file of this version.");
        }

        byte[] file = new byte[size];
        Span<byte> f = file;
        "MCOVMAPF"u8.CopyTo(f);
        BinaryPrimitives.WriteUInt32LittleEndian(f[8..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(f[12..], HeaderSize);
        BinaryPrimitives.WriteUInt32LittleEndian(f[16..], (uint)Modules.Count);
        BinaryPrimitives.WriteInt64LittleEndian(f[24..], mapBytes);
        long table = HeaderSize;
        long data = table + ((long)RegionFormat.ModuleEntrySize * Modules.Count);
        long offset = 0;
        foreach (MapModule m in Modules)
        {
            ModuleEntry entry = ModuleEntry.Create(m.Identity, m.Path, (ulong)offset);
            MemoryMarshal.Write(f.Slice((int)table, RegionFormat.ModuleEntrySize), in entry);
            Span<byte> dst = f.Slice((int)(data + offset), (int)m.Identity.EdgeCount);
            ReadOnlySpan<byte> src = m.Map.Span;
            for (int i = 0; i < src.Length; i++)
            {
                dst[i] = src[i] != 0 ? (byte)1 : (byte)0;
            }

            table += RegionFormat.ModuleEntrySize;
            offset += m.Identity.EdgeCount;
        }

        BinaryPrimitives.WriteUInt64LittleEndian(f[^TrailerSize..], Fnv1a64.Hash(f[..^TrailerSize]));
        return file;
    }

    /// <summary>Parses the bytes of a map file, checking everything before anything is used.</summary>
    /// <param name="bytes">The file's bytes.</param>
    /// <param name="source">The file's name, for messages.</param>
    /// <returns>The map.</returns>
    /// <exception cref="MapFileCorruptException">The bytes are not a valid map file.</exception>
    public static CoverageMapFile Parse(ReadOnlySpan<byte> bytes, string source)
    {
        if (bytes.Length < HeaderSize + TrailerSize || !bytes[..8].SequenceEqual("MCOVMAPF"u8))
        {
            throw new MapFileCorruptException(source, $"it has {bytes.Length} bytes and does not start with \"{Magic}\"");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]);
        if (version != Version)
        {
            throw new MapFileCorruptException(source, $"it has version {version}, this library reads version {Version}");
        }

        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(bytes[12..]);
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(bytes[16..]);
        long mapBytes = BinaryPrimitives.ReadInt64LittleEndian(bytes[24..]);
        long expected = HeaderSize + ((long)RegionFormat.ModuleEntrySize * count) + mapBytes + TrailerSize;
        if (headerSize != HeaderSize || count > RegionFormat.MaxModuleCapacity || mapBytes < 0 || expected != bytes.Length)
        {
            throw new MapFileCorruptException(source, $"its header (size {headerSize}, {count} modules, {mapBytes} edges) does not match its {bytes.Length} bytes");
        }

        if (Fnv1a64.Hash(bytes[..^TrailerSize]) != BinaryPrimitives.ReadUInt64LittleEndian(bytes[^TrailerSize..]))
        {
            throw new MapFileCorruptException(source, "its checksum does not match its bytes");
        }

        var modules = new List<MapModule>((int)count);
        long data = HeaderSize + ((long)RegionFormat.ModuleEntrySize * count);
        long offset = 0;
        var seen = new HashSet<ModuleIdentity>();
        for (int i = 0; i < count; i++)
        {
            ModuleEntry e = MemoryMarshal.Read<ModuleEntry>(bytes.Slice(HeaderSize + (RegionFormat.ModuleEntrySize * i), RegionFormat.ModuleEntrySize));
            if (e.Base != (ulong)offset || e.EdgeCount == 0 || e.EdgeCount > (ulong)(mapBytes - offset)
                || e.EdgeCount > RegionFormat.MaxCapacity || e.IdLen is 0 or > 32
                || e.Mode is not (1 or 2) || e.IdKind is not (1 or 2))
            {
                throw new MapFileCorruptException(source, $"module {i} (base {e.Base}, {e.EdgeCount} edges, mode {e.Mode}, id kind {e.IdKind}, id length {e.IdLen}) does not follow the one before it");
            }

            RegionModule m = RegionModule.FromEntry(i, e);
            if (!seen.Add(m.Identity))
            {
                throw new MapFileCorruptException(source, $"module {m.Identity} appears twice");
            }

            ReadOnlySpan<byte> edges = bytes.Slice((int)(data + offset), (int)e.EdgeCount);
            if (edges.ContainsAnyExcept((byte)0, (byte)1))
            {
                throw new MapFileCorruptException(source, $"module {m.Identity} has an edge byte other than 0 or 1");
            }

            modules.Add(new MapModule(m.Identity, m.Path, edges.ToArray()));
            offset += (long)e.EdgeCount;
        }

        if (offset != mapBytes)
        {
            throw new MapFileCorruptException(source, $"its modules have {offset} edges, its header says {mapBytes}");
        }

        return new CoverageMapFile(modules);
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
