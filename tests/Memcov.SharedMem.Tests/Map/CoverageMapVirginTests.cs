using static Memcov.SharedMem.Tests.MapTestData;
using KernelWidth = Memcov.SharedMem.CoverageMap.KernelWidth;

namespace Memcov.SharedMem.Tests;

/// <summary>The virgin-map kernels against a byte loop; a virgin byte that is not zero marks an unseen edge.</summary>
public sealed class CoverageMapVirginTests
{
    [Theory]
    [MemberData(nameof(WidthsAndContentPairs), MemberType = typeof(MapTestData))]
    public void HasNewCoverageAndUpdateVirgin_MatchScalarOracle(int width, MapContent mapContent, MapContent virginContent)
    {
        var w = (KernelWidth)width;
        foreach ((int length, int offset, int virginOffset) in Cases())
        {
            byte[] mapBuffer = Buffer(mapContent, 0, length, offset);
            byte[] virginBuffer = Buffer(virginContent, 1, length, virginOffset);
            ReadOnlySpan<byte> map = mapBuffer.AsSpan(offset, length);
            Span<byte> virgin = virginBuffer.AsSpan(virginOffset, length);
            byte[] expected = new byte[length];
            long expectedNew = 0;
            for (int i = 0; i < length; i++)
            {
                bool isNew = map[i] != 0 && virgin[i] != 0;
                expectedNew += isNew ? 1 : 0;
                expected[i] = map[i] != 0 ? (byte)0 : virgin[i];
            }

            string context = Describe(width, length, offset);
            Assert.Equal((context, expectedNew != 0), (context, CoverageMap.HasNewCoverage(map, virgin, w)));
            Assert.Equal((context, expectedNew), (context, CoverageMap.UpdateVirgin(map, virgin, w)));
            AssertSameBytes(expected, virgin, context);
            AssertGuards(virginBuffer, virginOffset, length, context);

            // The same run again finds nothing new.
            Assert.Equal((context, false), (context, CoverageMap.HasNewCoverage(map, virgin, w)));
            Assert.Equal((context, 0L), (context, CoverageMap.UpdateVirgin(map, virgin, w)));
        }
    }

    [Fact]
    public void HasNewCoverage_FindsASingleNewEdge_AtEveryPosition()
    {
        byte[] virgin = new byte[200];
        CoverageMap.InitVirgin(virgin);
        byte[] map = new byte[200];
        foreach (KernelWidth width in SupportedWidths())
        {
            for (int i = 0; i < map.Length; i++)
            {
                map[i] = 0x80;
                Assert.Equal((width, i, true), (width, i, CoverageMap.HasNewCoverage(map, virgin, width)));
                virgin[i] = 0;
                Assert.Equal((width, i, false), (width, i, CoverageMap.HasNewCoverage(map, virgin, width)));
                virgin[i] = CoverageMap.VirginUnseen;
                map[i] = 0;
            }
        }
    }

    [Fact]
    public void UpdateVirgin_AfterInitVirgin_CountsEveryCoveredEdgeOnce()
    {
        byte[] first = Map(MapContent.Sparse, 0, 65_537);
        byte[] second = Map(MapContent.Sparse, 1, 65_537);
        byte[] virgin = new byte[65_537];

        CoverageMap.InitVirgin(virgin);

        Assert.All(virgin, b => Assert.Equal(CoverageMap.VirginUnseen, b));
        Assert.True(CoverageMap.HasNewCoverage(first, virgin));
        Assert.Equal(CoverageMap.CountCovered(first), CoverageMap.UpdateVirgin(first, virgin));
        Assert.Equal(CoverageMap.CountOnlyIn(second, first), CoverageMap.UpdateVirgin(second, virgin));
        Assert.False(CoverageMap.HasNewCoverage(first, virgin));
        Assert.False(CoverageMap.HasNewCoverage(second, virgin));
    }

    [Fact]
    public void Throws_WhenLengthsDiffer()
    {
        var e = Assert.Throws<ArgumentException>(() => CoverageMap.HasNewCoverage(new byte[8], new byte[9]));
        Assert.Equal("virgin", e.ParamName);
        Assert.Contains("map has 8 bytes and virgin has 9", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => CoverageMap.UpdateVirgin(new byte[8], new byte[9]));
    }

    [Fact]
    public void UpdateVirgin_Throws_WhenVirginPartlyOverlapsMap()
    {
        byte[] buffer = new byte[100];
        var e = Assert.Throws<ArgumentException>(() => CoverageMap.UpdateVirgin(buffer.AsSpan(0, 64), buffer.AsSpan(8, 64)));
        Assert.Equal("virgin", e.ParamName);
    }
}
