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
}
