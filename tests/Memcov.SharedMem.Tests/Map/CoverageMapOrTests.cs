using static Memcov.SharedMem.Tests.MapTestData;
using KernelWidth = Memcov.SharedMem.CoverageMap.KernelWidth;

namespace Memcov.SharedMem.Tests;

/// <summary><see cref="CoverageMap.Or(ReadOnlySpan{byte}, Span{byte})"/> against a byte loop.</summary>
public sealed class CoverageMapOrTests
{
    [Theory]
    [MemberData(nameof(WidthsAndContentPairs), MemberType = typeof(MapTestData))]
    public void Or_MatchesScalarOracle(int width, MapContent sourceContent, MapContent destinationContent)
    {
        foreach ((int length, int offset, int sourceOffset) in Cases())
        {
            byte[] sourceBuffer = Buffer(sourceContent, 0, length, sourceOffset);
            byte[] destinationBuffer = Buffer(destinationContent, 1, length, offset);
            ReadOnlySpan<byte> source = sourceBuffer.AsSpan(sourceOffset, length);
            Span<byte> destination = destinationBuffer.AsSpan(offset, length);
            byte[] expected = new byte[length];
            for (int i = 0; i < length; i++)
            {
                expected[i] = (byte)(source[i] | destination[i]);
            }

            CoverageMap.Or(source, destination, (KernelWidth)width);

            string context = Describe(width, length, offset);
            AssertSameBytes(expected, destination, context);
            AssertGuards(destinationBuffer, offset, length, context);
        }
    }

    [Fact]
    public void Or_PublicOverload_MergesSource()
    {
        byte[] source = Map(MapContent.Sparse, 0, 1000);
        byte[] destination = Map(MapContent.Sparse, 1, 1000);
        byte[] expected = [.. source.Zip(destination, (s, d) => (byte)(s | d))];

        CoverageMap.Or(source, destination);

        Assert.Equal(expected, destination);
    }

    [Fact]
    public void Or_LeavesMapUnchanged_WhenSourceIsDestination()
    {
        byte[] map = Map(MapContent.Half, 0, 4097);
        byte[] before = (byte[])map.Clone();

        CoverageMap.Or(map, map);

        Assert.Equal(before, map);
    }

    [Fact]
    public void Or_Throws_WhenLengthsDiffer()
    {
        var e = Assert.Throws<ArgumentException>(() => CoverageMap.Or(new byte[10], new byte[12]));
        Assert.Equal("destination", e.ParamName);
        Assert.Contains("source has 10 bytes and destination has 12", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Or_Throws_WhenSpansPartlyOverlap()
    {
        byte[] buffer = new byte[100];
        var e = Assert.Throws<ArgumentException>(() => CoverageMap.Or(buffer.AsSpan(0, 64), buffer.AsSpan(1, 64)));
        Assert.Equal("destination", e.ParamName);
    }
}
