namespace Memcov.SharedMem;

/// <summary>
/// The coverage feed, version 1 (docs/feed-format.md): a 32-byte header, then one record per sample.
/// Little-endian throughout.
/// </summary>
/// <remarks>
/// Header: magic "MCOVFEED", u32 version, u32 header size (32), i64 start time (ns since the Unix
/// epoch), i64 region capacity in edges. Record: i32 size (bytes of the whole record), i32 count of new
/// edges n, i64 ns since the start, i64 edges covered, i64 edge slots allocated, n × u32 slots of the
/// edges first seen in this sample, u64 FNV-1a-64 of every byte of the record before it.
/// </remarks>
public static class FeedFormat
{
    /// <summary>The first 8 bytes of a feed.</summary>
    public const string Magic = "MCOVFEED";

    /// <summary>The feed format version this library writes and reads.</summary>
    public const int Version = 1;

    /// <summary>Bytes of the feed header.</summary>
    public const int HeaderSize = 32;

    /// <summary>Bytes of a record with no new edge: 32 fixed, 8 of checksum.</summary>
    public const int MinRecordSize = 40;

    /// <summary>The most new edges one record carries; a sample with more is split over several records.</summary>
    public const int MaxNewEdgesPerRecord = 1 << 20;

    /// <summary>Bytes of the largest record.</summary>
    public const int MaxRecordSize = MinRecordSize + (4 * MaxNewEdgesPerRecord);

    /// <summary>The magic as bytes.</summary>
    internal static ReadOnlySpan<byte> MagicBytes => "MCOVFEED"u8;
}
