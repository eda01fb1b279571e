using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

/// <summary>
/// The C# mirror of <c>mcov_region_header</c>: 256 bytes at offset 0 of a region file,
/// little-endian. A test checks every offset against the <c>_Static_assert</c>s of
/// native/include/memcov_region.h, so the two cannot drift.
/// </summary>
/// <remarks>
/// The counters from <see cref="AllocCursor"/> on change while processes register modules; read
/// them through <see cref="CoverageRegion"/>, which uses acquire loads where the format needs them.
/// Bytes 96–255 are <c>reserved</c>.
/// </remarks>
[StructLayout(LayoutKind.Explicit, Size = RegionFormat.HeaderSize)]
public struct RegionHeader
{
    /// <summary><c>magic</c>: the 8 bytes "MEMCOVRG", read as one little-endian value.</summary>
    [FieldOffset(0)]
    public ulong Magic;

    /// <summary><c>version</c>: the format version, 1.</summary>
    [FieldOffset(8)]
    public uint Version;

    /// <summary><c>header_size</c>: 256.</summary>
    [FieldOffset(12)]
    public uint HeaderSize;

    /// <summary><c>map_offset</c>: bytes from the start of the file to the map; page-aligned.</summary>
    [FieldOffset(16)]
    public ulong MapOffset;

    /// <summary><c>capacity_edges</c>: edge slots (bytes) of the map; a multiple of 4096.</summary>
    [FieldOffset(24)]
    public ulong CapacityEdges;

    /// <summary><c>flags</c>: none defined in version 1.</summary>
    [FieldOffset(32)]
    public uint Flags;

    /// <summary><c>module_capacity</c>: entries in the module table.</summary>
    [FieldOffset(36)]
    public uint ModuleCapacity;

    /// <summary><c>module_table_offset</c>: bytes from the start of the file to the module table.</summary>
    [FieldOffset(40)]
    public ulong ModuleTableOffset;

    /// <summary><c>creator_pid</c>: the process that created the region.</summary>
    [FieldOffset(48)]
    public ulong CreatorPid;

    /// <summary><c>created_ns</c>: creation time, ns since the Unix epoch.</summary>
    [FieldOffset(56)]
    public ulong CreatedNs;

    /// <summary><c>alloc_cursor</c>: edge slots handed out; a multiple of 4096 (release-stored).</summary>
    [FieldOffset(64)]
    public ulong AllocCursor;

    /// <summary><c>edges_registered</c>: the sum of the entries' edge counts.</summary>
    [FieldOffset(72)]
    public ulong EdgesRegistered;

    /// <summary><c>edges_dropped</c>: edges of modules that did not fit, summed over processes.</summary>
    [FieldOffset(80)]
    public ulong EdgesDropped;

    /// <summary><c>modules_private</c>: module registrations that did not fit, summed over processes.</summary>
    [FieldOffset(88)]
    public uint ModulesPrivate;

    /// <summary><c>module_count</c>: published entries (release-stored after the entry and the cursor).</summary>
    [FieldOffset(92)]
    public uint ModuleCount;

    /// <summary>The header a creator writes for <paramref name="capacityEdges"/> slots (a multiple of 4096).</summary>
    internal static RegionHeader ForCreator(ulong capacityEdges) => new()
    {
        Magic = System.Buffers.Binary.BinaryPrimitives.ReadUInt64LittleEndian(RegionFormat.MagicBytes),
        Version = RegionFormat.Version,
        HeaderSize = RegionFormat.HeaderSize,
        MapOffset = RegionFormat.MapOffset,
        CapacityEdges = capacityEdges,
        ModuleCapacity = RegionFormat.ModuleTableCapacity,
        ModuleTableOffset = RegionFormat.ModuleTableOffset,
        CreatorPid = (ulong)Environment.ProcessId,
        CreatedNs = (ulong)(DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100,
    };
}
