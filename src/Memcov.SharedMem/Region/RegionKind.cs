namespace Memcov.SharedMem;

/// <summary>What a byte of a region's map holds (the header's <c>kind</c>, docs/region-format.md).</summary>
public enum RegionKind
{
    /// <summary>A flag: 1 once the edge was hit, else 0.</summary>
    Flags = 1,

    /// <summary>
    /// Hit-count classes, one bit each, as AFL++ buckets counts: 1, 2, 3, 4–7, 8–15, 16–31, 32–127 and
    /// 128 or more hits (docs/semantics.md, "Hit counts"). Bytes OR across processes.
    /// </summary>
    Classes = 2,
}
