namespace Memcov.Benchmarks;

/// <summary>The map sizes and contents every kernel benchmark uses.</summary>
public static class Maps
{
    /// <summary>64 KiB (AFL's default map), 1 MiB and 16 MiB: L2-, L3- and memory-sized.</summary>
    public static readonly int[] Sizes = [64 << 10, 1 << 20, 16 << 20];

    /// <summary>Fills <paramref name="map"/> like a campaign's map: about one edge in three hit, at pseudo-random places.</summary>
    public static void FillCovered(Span<byte> map, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < map.Length; i++)
        {
            map[i] = random.Next(3) == 0 ? (byte)1 : (byte)0;
        }
    }

    /// <summary>
    /// Fills <paramref name="map"/> with hit counts: about one edge in three hit, as many times as a
    /// random power-of-two range gives (1, 2–3, 4–7, … 128–255), so every class occurs and a byte
    /// loop's branches on the count mispredict.
    /// </summary>
    public static void FillCounts(Span<byte> map, int seed)
    {
        var random = new Random(seed);
        for (int i = 0; i < map.Length; i++)
        {
            // A count in [2^k, 2^(k+1)), k uniform in 0-7.
            int low = 1 << random.Next(8);
            map[i] = random.Next(3) == 0 ? (byte)(low + random.Next(low)) : (byte)0;
        }
    }
}
