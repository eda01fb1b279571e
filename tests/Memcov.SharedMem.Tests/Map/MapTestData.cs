using System.Runtime.Intrinsics;
using KernelWidth = Memcov.SharedMem.CoverageMap.KernelWidth;

namespace Memcov.SharedMem.Tests;

/// <summary>What a test map holds.</summary>
public enum MapContent
{
    /// <summary>No edge hit.</summary>
    Zero,

    /// <summary>Every byte 0xFF.</summary>
    AllSet,

    /// <summary>About one edge in ten hit, with a random non-zero value.</summary>
    Sparse,

    /// <summary>About half the edges hit, with random bits.</summary>
    Half,
}

/// <summary>
/// Maps for the kernel tests: every length around the vector widths and pages, at every start
/// offset modulo 8, inside a larger buffer whose guard bytes the kernels must not touch.
/// </summary>
internal static class MapTestData
{
    /// <summary>Written around every map; a kernel that writes outside its span changes one.</summary>
    public const byte Guard = 0xA5;

    /// <summary>Guard bytes after each map: more than a word, so a wide store past the end shows.</summary>
    public const int GuardLength = 72;

    /// <summary>Start offsets 0 to 7 put the map at every alignment modulo a 64-bit word.</summary>
    public const int Offsets = 8;

    /// <summary>Around 16, 32, 64 (each vector width), a page, plus odd lengths and 1 MiB.</summary>
    public static readonly int[] Lengths =
    [
        0, 1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65, 100, 127, 128, 129, 191, 255, 257,
        1000, 4095, 4096, 4097, 12_345, 65_537, 1 << 20,
    ];

    private static readonly int s_poolLength = Lengths.Max() + Offsets + GuardLength;

    /// <summary>Two independent pools per content kind, so the two inputs of a kernel differ.</summary>
    private static readonly byte[][] s_pools = CreatePools();

    /// <summary>The widths this CPU runs; tests run each, so the widest path does not hide a narrower one.</summary>
    public static IEnumerable<KernelWidth> SupportedWidths()
    {
        yield return KernelWidth.Scalar;
        if (Vector128.IsHardwareAccelerated)
        {
            yield return KernelWidth.Vector128;
        }

        if (Vector256.IsHardwareAccelerated)
        {
            yield return KernelWidth.Vector256;
        }

        if (Vector512.IsHardwareAccelerated)
        {
            yield return KernelWidth.Vector512;
        }
    }

    public static TheoryData<int, MapContent> WidthsAndContents()
    {
        var data = new TheoryData<int, MapContent>();
        foreach (KernelWidth width in SupportedWidths())
        {
            foreach (MapContent content in Enum.GetValues<MapContent>())
            {
                data.Add((int)width, content);
            }
        }

        return data;
    }

    public static TheoryData<int, MapContent, MapContent> WidthsAndContentPairs()
    {
        var data = new TheoryData<int, MapContent, MapContent>();
        foreach (KernelWidth width in SupportedWidths())
        {
            foreach (MapContent a in Enum.GetValues<MapContent>())
            {
                foreach (MapContent b in Enum.GetValues<MapContent>())
                {
                    data.Add((int)width, a, b);
                }
            }
        }

        return data;
    }

    public static TheoryData<int> Widths()
    {
        var data = new TheoryData<int>();
        foreach (KernelWidth width in SupportedWidths())
        {
            data.Add((int)width);
        }

        return data;
    }

    /// <summary>
    /// Every (length, offset) case: <c>offset</c> is the first map's start, <c>otherOffset</c> a
    /// different start for a second map, so the maps are misaligned relative to each other too.
    /// </summary>
    public static IEnumerable<(int Length, int Offset, int OtherOffset)> Cases()
    {
        foreach (int length in Lengths)
        {
            for (int offset = 0; offset < Offsets; offset++)
            {
                // The 1 MiB map shows the long loops; two starts suffice there, as the head and
                // tail cases are the same as at the short lengths. Keeps the suite quick.
                if (length > 65_537 && offset is not (0 or 3))
                {
                    continue;
                }

                yield return (length, offset, (offset * 5 + 3) % Offsets);
            }
        }
    }

    /// <summary>
    /// A buffer with <paramref name="length"/> bytes of <paramref name="content"/> at
    /// <paramref name="offset"/> and guard bytes everywhere else.
    /// </summary>
    /// <param name="which">0 or 1: which of the two pools of that content to take the bytes from.</param>
    public static byte[] Buffer(MapContent content, int which, int length, int offset)
    {
        byte[] buffer = new byte[offset + length + GuardLength];
        buffer.AsSpan().Fill(Guard);
        Fill(content, which, buffer.AsSpan(offset, length));
        return buffer;
    }

    /// <summary>A map of exactly <paramref name="length"/> bytes of <paramref name="content"/>, no guards.</summary>
    public static byte[] Map(MapContent content, int which, int length)
    {
        byte[] map = new byte[length];
        Fill(content, which, map);
        return map;
    }

    /// <summary>Fills <paramref name="map"/> with <paramref name="content"/> from pool <paramref name="which"/>.</summary>
    public static void Fill(MapContent content, int which, Span<byte> map)
    {
        // Shift the window with the length, so maps of different lengths are not all prefixes of one.
        int shift = map.Length % 61;
        s_pools[((int)content * 2) + which].AsSpan(shift, map.Length).CopyTo(map);
    }

    /// <summary>Fails unless every byte of <paramref name="buffer"/> outside [offset, offset + length) is still <see cref="Guard"/>.</summary>
    public static void AssertGuards(ReadOnlySpan<byte> buffer, int offset, int length, string context)
    {
        int before = buffer[..offset].IndexOfAnyExcept(Guard);
        int after = buffer[(offset + length)..].IndexOfAnyExcept(Guard);
        Assert.True(before < 0 && after < 0, $"{context}: a guard byte changed (before the span at {before}, after it at {after})");
    }

    /// <summary>Fails with the first differing index unless the spans hold the same bytes.</summary>
    public static void AssertSameBytes(ReadOnlySpan<byte> expected, ReadOnlySpan<byte> actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        int i = expected.CommonPrefixLength(actual);
        Assert.True(i == expected.Length, i == expected.Length ? null :
            $"{context}: byte {i} is 0x{actual[i]:X2}, expected 0x{expected[i]:X2}");
    }

    public static string Describe(int width, int length, int offset) => $"width {width}, length {length}, offset {offset}";

    /// <summary>The scalar oracle for counts: non-zero bytes.</summary>
    public static long NonZero(ReadOnlySpan<byte> map)
    {
        long n = 0;
        foreach (byte b in map)
        {
            if (b != 0)
            {
                n++;
            }
        }

        return n;
    }

    private static byte[][] CreatePools()
    {
        var pools = new byte[Enum.GetValues<MapContent>().Length * 2][];
        var random = new Random(20240611);
        foreach (MapContent content in Enum.GetValues<MapContent>())
        {
            for (int which = 0; which < 2; which++)
            {
                byte[] pool = new byte[s_poolLength];
                switch (content)
                {
                    case MapContent.AllSet:
                        pool.AsSpan().Fill(0xFF);
                        break;
                    case MapContent.Sparse:
                        for (int i = 0; i < pool.Length; i++)
                        {
                            pool[i] = random.Next(10) == 0 ? (byte)random.Next(1, 256) : (byte)0;
                        }

                        break;
                    case MapContent.Half:
                        for (int i = 0; i < pool.Length; i++)
                        {
                            pool[i] = random.Next(2) == 0 ? (byte)random.Next(1, 256) : (byte)0;
                        }

                        break;
                }

                pools[((int)content * 2) + which] = pool;
            }
        }

        return pools;
    }
}
