namespace Memcov.SharedMem;

/// <summary>
/// Checks 7–16 of docs/region-format.md on a header read from a file, in the order the C runtime
/// runs them, so both sides refuse the same files with the same kind of error.
/// </summary>
internal static class RegionValidator
{
    /// <summary>Throws the specific exception for the first check <paramref name="h"/> fails.</summary>
    /// <param name="path">The region file, for messages.</param>
    /// <param name="raw">The header's 256 bytes as read.</param>
    /// <param name="h">The same bytes as the header struct.</param>
    /// <param name="fileSize">The file's size in bytes.</param>
    internal static void Validate(string path, ReadOnlySpan<byte> raw, in RegionHeader h, ulong fileSize)
    {
        const ulong Align = RegionFormat.EdgeAlign;
        const ulong MaxCapacity = RegionFormat.MaxCapacity;

        if (!raw[..RegionFormat.MagicBytes.Length].SequenceEqual(RegionFormat.MagicBytes))
        {
            ThrowHelper.ThrowCorrupt(path, $"the magic is {Convert.ToHexString(raw[..8])}, expected \"{RegionFormat.Magic}\"");
        }

        if (h.Version != RegionFormat.Version)
        {
            throw new RegionFormatException(path, RegionFormat.Version, h.Version);
        }

        if (h.HeaderSize != RegionFormat.HeaderSize)
        {
            ThrowHelper.ThrowCorrupt(path, $"header_size is {h.HeaderSize}, expected {RegionFormat.HeaderSize}");
        }

        if (h.MapOffset % Align != 0 || h.MapOffset < RegionFormat.MinMapOffset || h.MapOffset > MaxCapacity)
        {
            ThrowHelper.ThrowCorrupt(path, $"map_offset is {h.MapOffset}, expected a multiple of {Align} from {RegionFormat.MinMapOffset} to 2^32");
        }

        if (h.ModuleTableOffset < h.HeaderSize || h.ModuleTableOffset % 8 != 0 || h.ModuleTableOffset > h.MapOffset)
        {
            ThrowHelper.ThrowCorrupt(path, $"module_table_offset is {h.ModuleTableOffset}, expected a multiple of 8 from {h.HeaderSize} to map_offset {h.MapOffset}");
        }

        if (h.ModuleCapacity < 1 || h.ModuleCapacity > RegionFormat.MaxModuleCapacity
            || (h.MapOffset - h.ModuleTableOffset) / RegionFormat.ModuleEntrySize < h.ModuleCapacity)
        {
            ThrowHelper.ThrowCorrupt(path, $"module_capacity is {h.ModuleCapacity}, expected 1 to {RegionFormat.MaxModuleCapacity} entries that fit before the map");
        }

        if (h.CapacityEdges == 0 || h.CapacityEdges % Align != 0 || h.CapacityEdges > MaxCapacity)
        {
            ThrowHelper.ThrowCorrupt(path, $"capacity_edges is {h.CapacityEdges}, expected a non-zero multiple of {Align} up to 2^32");
        }

        if (h.MapOffset + h.CapacityEdges > fileSize)
        {
            ThrowHelper.ThrowCorrupt(path, $"the file has {fileSize} bytes, expected at least {h.MapOffset + h.CapacityEdges} (it is truncated)");
        }

        if (h.AllocCursor > h.CapacityEdges || h.AllocCursor % Align != 0)
        {
            ThrowHelper.ThrowCorrupt(path, $"alloc_cursor is {h.AllocCursor}, expected a multiple of {Align} up to capacity_edges {h.CapacityEdges}");
        }

        if (h.ModuleCount > h.ModuleCapacity)
        {
            ThrowHelper.ThrowCorrupt(path, $"module_count is {h.ModuleCount}, more than module_capacity {h.ModuleCapacity}");
        }
    }

    /// <summary>
    /// Tells whether a module entry may be used: an identity of 1 to 32 bytes, and a non-empty range
    /// that starts on a 4096-edge boundary and whose reserved slots end inside the map.
    /// </summary>
    internal static bool IsValidEntry(in ModuleEntry e, ulong capacityEdges)
    {
        // An id longer than 32 bytes matches nothing in the native runtime: never use it here.
        if (e.EdgeCount == 0 || e.EdgeCount > capacityEdges || e.Base % RegionFormat.EdgeAlign != 0
            || e.IdLen is 0 or > 32)
        {
            return false;
        }

        ulong reserved = RoundUp(e.EdgeCount);
        return reserved <= capacityEdges && e.Base <= capacityEdges - reserved;
    }

    /// <summary>Rounds <paramref name="edges"/> (at most 2^32) up to a multiple of 4096.</summary>
    internal static ulong RoundUp(ulong edges) =>
        (edges + RegionFormat.EdgeAlign - 1) & ~(ulong)(RegionFormat.EdgeAlign - 1);
}
