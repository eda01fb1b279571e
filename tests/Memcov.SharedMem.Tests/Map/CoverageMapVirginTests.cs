using static Memcov.SharedMem.Tests.MapTestData;
using KernelWidth = Memcov.SharedMem.CoverageMap.KernelWidth;

namespace Memcov.SharedMem.Tests;

/// <summary>The virgin-map kernels against a byte loop; a set bit of a virgin byte marks a bit (a class) not seen on that edge.</summary>
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
                bool isNew = (map[i] & virgin[i]) != 0;
                expectedNew += isNew ? 1 : 0;
                expected[i] = (byte)(virgin[i] & ~map[i]);
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
    public void HasNewCoverage_FindsASingleNewBit_AtEveryPosition()
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
                virgin[i] = 0x7F; // every class unseen but the map's
                Assert.Equal((width, i, false), (width, i, CoverageMap.HasNewCoverage(map, virgin, width)));
                virgin[i] = CoverageMap.VirginUnseen;
                map[i] = 0;
            }
        }
    }

    [Fact]
    public void UpdateVirgin_OnFlagMaps_CountsEveryCoveredEdgeOnce()
    {
        // Flag maps (bytes of 0 and 1): the answers are those of edges, and a seen edge's virgin byte is 0xFE.
        byte[] first = [.. Map(MapContent.Sparse, 0, 65_537).Select(b => b != 0 ? (byte)1 : (byte)0)];
        byte[] second = [.. Map(MapContent.Sparse, 1, 65_537).Select(b => b != 0 ? (byte)1 : (byte)0)];
        byte[] virgin = new byte[65_537];

        CoverageMap.InitVirgin(virgin);

        Assert.All(virgin, b => Assert.Equal(CoverageMap.VirginUnseen, b));
        Assert.True(CoverageMap.HasNewCoverage(first, virgin));
        Assert.Equal(CoverageMap.CountCovered(first), CoverageMap.UpdateVirgin(first, virgin));
        Assert.True(CoverageMap.HasNewCoverage(second, virgin));
        Assert.Equal(CoverageMap.CountOnlyIn(second, first), CoverageMap.UpdateVirgin(second, virgin));
        Assert.False(CoverageMap.HasNewCoverage(first, virgin));
        Assert.False(CoverageMap.HasNewCoverage(second, virgin));
        Assert.Equal(0, CoverageMap.UpdateVirgin(second, virgin));
        for (int i = 0; i < virgin.Length; i++)
        {
            Assert.Equal((i, (first[i] | second[i]) != 0 ? (byte)0xFE : (byte)0xFF), (i, virgin[i]));
        }
    }

    [Fact]
    public void UpdateVirgin_OnClassMaps_CountsANewClassOfASeenEdge_AndNotTheSameClassAgain()
    {
        // One edge of a hit-count map, at every position (vector lanes, words, tail bytes), hit 2
        // times, then 5 (a new class), then 6 (the class of 5 again), then 1 (a flag's class) twice.
        byte[] counts = new byte[200];
        byte[] map = new byte[200];
        byte[] virgin = new byte[200];
        foreach (KernelWidth width in SupportedWidths())
        {
            for (int i = 0; i < map.Length; i++)
            {
                CoverageMap.InitVirgin(virgin);
                foreach ((byte count, bool isNew) in new[] { ((byte)2, true), ((byte)5, true), ((byte)6, false), ((byte)1, true), ((byte)1, false) })
                {
                    counts[i] = count;
                    CoverageMap.Classify(counts, map, width);
                    string context = $"width {width}, edge {i}, count {count}";
                    Assert.Equal((context, isNew), (context, CoverageMap.HasNewCoverage(map, virgin, width)));
                    Assert.Equal((context, isNew ? 1L : 0L), (context, CoverageMap.UpdateVirgin(map, virgin, width)));
                }

                // Classes 0x02, 0x08 and 0x01 seen: those bits are clear, every other edge untouched.
                Assert.Equal((width, i, (byte)0xF4), (width, i, virgin[i]));
                Assert.Equal(virgin.Length - 1, virgin.Count(b => b == CoverageMap.VirginUnseen));
                counts[i] = 0;
            }
        }
    }

    [Fact]
    public void UpdateVirgin_CountsOneEdge_WhenTheMapAddsSeveralClassesToIt()
    {
        byte[] virgin = new byte[64];
        CoverageMap.InitVirgin(virgin);
        byte[] merged = new byte[64];
        merged[10] = 0x02 | 0x40; // two runs' classes of one edge, ORed

        Assert.Equal(1, CoverageMap.UpdateVirgin(merged, virgin));
        Assert.Equal(0xFF & ~0x42, virgin[10]);
        Assert.Equal(0, CoverageMap.UpdateVirgin([.. merged.Select(b => (byte)(b & 0x40))], virgin));
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
