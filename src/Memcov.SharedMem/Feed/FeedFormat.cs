namespace Memcov.SharedMem;

/// <summary>
/// The coverage feed, version 2 (docs/feed-format.md): a 32-byte header, then one record per sample.
/// Little-endian throughout.
/// </summary>
/// <remarks>
/// Header: magic "MCOVFEED", u32 version, u32 header size (32), i64 start time (ns since the Unix
/// epoch), i64 region capacity in edges. Record: i32 size (bytes of the whole record), i32 count of new
/// edges n, i64 ns since the start, i64 edges covered, i64 edge slots allocated, i32 bytes m of the
/// input's name (0: a sample of no one input), i32 zero, n × u32 slots of the edges first seen in this
/// sample, the input's name (UTF-8) zero-padded to a multiple of 4, u64 FNV-1a-64 of every byte of the
/// record before it.
/// </remarks>
public static class FeedFormat
{
    /// <summary>The first 8 bytes of a feed.</summary>
    public const string Magic = "MCOVFEED";

    /// <summary>The feed format version this library writes and reads.</summary>
    public const int Version = 2;

    /// <summary>Bytes of the feed header.</summary>
    public const int HeaderSize = 32;

    /// <summary>Bytes of a record with no new edge and no input: 40 fixed, 8 of checksum.</summary>
    public const int MinRecordSize = 48;

    /// <summary>Where a record's new edges start.</summary>
    public const int EdgesOffset = 40;

    /// <summary>The longest input name a record carries, in UTF-8 bytes.</summary>
    public const int MaxInputBytes = 4096;

    /// <summary>The most new edges one record carries; a sample with more is split over several records.</summary>
    public const int MaxNewEdgesPerRecord = 1 << 20;

    /// <summary>Bytes of the largest record.</summary>
    public const int MaxRecordSize = MinRecordSize + (4 * MaxNewEdgesPerRecord) + MaxInputBytes;

    /// <summary>The bytes a name of <paramref name="nameBytes"/> takes in a record: zero-padded to a multiple of 4.</summary>
    public static int PaddedInputBytes(int nameBytes) => (nameBytes + 3) & ~3;

    /// <summary>The magic as bytes.</summary>
    internal static ReadOnlySpan<byte> MagicBytes => "MCOVFEED"u8;
}
