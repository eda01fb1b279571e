namespace Memcov.SharedMem;

/// <summary>
/// The constants of the region file format (docs/region-format.md), as native/include/memcov_region.h
/// defines them; a test checks each against that header. libmemcov applies every rule of the format
/// (memcov_files.h); these are for callers that size or describe regions.
/// </summary>
public static class RegionFormat
{
    /// <summary>The first 8 bytes of every region file, without a NUL.</summary>
    public const string Magic = "MEMCOVRG";

    /// <summary>The format version this library reads. Any other version is refused, never guessed.</summary>
    public const int Version = 5;

    /// <summary>
    /// Alignment, in edges, of the capacity, the allocation cursor and every module's base (and,
    /// in bytes, of the map offset): one 4 KiB page of edges, so a module's slice maps on its own.
    /// </summary>
    public const int EdgeAlign = 4096;

    /// <summary>The largest capacity in edges, 2^32: module bases and counts stay in 64-bit sums.</summary>
    public const long MaxCapacity = 1L << 32;

    /// <summary>Size of the header in bytes; the file's <c>header_size</c> must equal it.</summary>
    public const int HeaderSize = 256;

    /// <summary>Size of one module table entry in bytes.</summary>
    public const int ModuleEntrySize = 256;

    /// <summary>Where the creator puts the module table (right after the header).</summary>
    public const int ModuleTableOffset = 256;

    /// <summary>Module table entries the creator reserves.</summary>
    public const int ModuleTableCapacity = 1024;

    /// <summary>Lanes a creator makes (<c>MCOV_LANE_COUNT</c>): processes recording own views into a lane of their own at once.</summary>
    public const int LaneCount = 256;

    /// <summary>The largest module capacity a header may declare.</summary>
    public const int MaxModuleCapacity = 65536;

    /// <summary>Where the creator puts the map: header plus table rounded up to a page (page 65).</summary>
    public const int MapOffset = 266240;

    /// <summary>The smallest map offset a header may declare.</summary>
    public const int MinMapOffset = 512;

    /// <summary>The magic as the bytes at offset 0.</summary>
    public static ReadOnlySpan<byte> MagicBytes => "MEMCOVRG"u8;

    /// <summary>Rounds <paramref name="edges"/> (at most 2^32) up to a multiple of <see cref="EdgeAlign"/>.</summary>
    internal static ulong RoundUp(ulong edges) => (edges + EdgeAlign - 1) & ~(ulong)(EdgeAlign - 1);
}
