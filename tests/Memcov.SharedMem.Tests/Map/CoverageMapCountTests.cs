using static Memcov.SharedMem.Tests.MapTestData;
using KernelWidth = Memcov.SharedMem.CoverageMap.KernelWidth;

namespace Memcov.SharedMem.Tests;

/// <summary><see cref="CoverageMap.CountCovered(ReadOnlySpan{byte})"/> against a byte loop.</summary>
public sealed class CoverageMapCountTests
{
    [Theory]
    [MemberData(nameof(WidthsAndContents), MemberType = typeof(MapTestData))]
    public void CountCovered_MatchesScalarOracle(int width, MapContent content)
    {
        foreach ((int length, int offset, _) in Cases())
        {
            byte[] buffer = Buffer(content, 0, length, offset);
            ReadOnlySpan<byte> map = buffer.AsSpan(offset, length);
            Assert.Equal((Describe(width, length, offset), NonZero(map)),
                (Describe(width, length, offset), CoverageMap.CountCovered(map, (KernelWidth)width)));
        }
    }

    [Fact]
    public void CountCovered_CountsEachSetByte_AtEveryPosition()
    {
        // One edge at each position of a map longer than two of the widest vectors: every step
        // (vector, word, byte) must count it, wherever in the step it lies.
        byte[] map = new byte[200];
        foreach (KernelWidth width in SupportedWidths())
        {
            for (int i = 0; i < map.Length; i++)
            {
                map[i] = (byte)(1 << (i % 8));
                Assert.Equal((width, i, 1L), (width, i, CoverageMap.CountCovered(map, width)));
                map[i] = 0;
            }
        }
    }

    [Fact]
    public void CountCovered_PublicOverload_CountsNonZeroBytes()
    {
        byte[] buffer = Buffer(MapContent.Half, 1, 4097, 3);
        ReadOnlySpan<byte> map = buffer.AsSpan(3, 4097);
        Assert.Equal(NonZero(map), CoverageMap.CountCovered(map));
        Assert.Equal(0, CoverageMap.CountCovered([]));
    }
}
