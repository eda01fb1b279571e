namespace Memcov.SharedMem;

/// <summary>
/// FNV-1a-64, the one checksum of Memcov's formats (the serialize blob, the feed, exported maps):
/// offset basis 0xcbf29ce484222325, prime 0x100000001b3, as in native/src/bytes.h.
/// </summary>
internal static class Fnv1a64
{
    internal const ulong OffsetBasis = 0xcbf29ce484222325;
    private const ulong Prime = 0x100000001b3;

    /// <summary>Hashes <paramref name="data"/>, continuing from <paramref name="hash"/>.</summary>
    internal static ulong Hash(ReadOnlySpan<byte> data, ulong hash = OffsetBasis)
    {
        foreach (byte b in data)
        {
            hash = (hash ^ b) * Prime;
        }

        return hash;
    }
}
