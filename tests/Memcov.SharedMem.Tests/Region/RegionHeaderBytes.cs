using System.Buffers.Binary;

namespace Memcov.SharedMem.Tests;

/// <summary>Header fields that test files written by hand share with what a creator writes.</summary>
internal static class RegionHeaderBytes
{
    /// <summary>A token that names no lanes file: such a region opens without lanes, as a copied file does.</summary>
    internal const ulong NoSuchLanesFile = 0x6e6f2d6c616e6573;

    /// <summary>Writes <c>kind</c> (flags), <c>lanes_token</c>, <c>lane_count</c> and <c>reset_epoch</c> as a creator does.</summary>
    internal static void WriteKindAndLanes(Span<byte> header)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header[32..], 1);
        BinaryPrimitives.WriteUInt64LittleEndian(header[96..], NoSuchLanesFile);
        BinaryPrimitives.WriteUInt32LittleEndian(header[104..], RegionFormat.LaneCount);
        BinaryPrimitives.WriteUInt64LittleEndian(header[112..], 1);
    }
}
