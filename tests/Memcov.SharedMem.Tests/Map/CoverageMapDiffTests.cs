using static Memcov.SharedMem.Tests.MapTestData;
using KernelWidth = Memcov.SharedMem.CoverageMap.KernelWidth;

namespace Memcov.SharedMem.Tests;

/// <summary>
/// <see cref="CoverageMap.Diff(ReadOnlySpan{byte}, ReadOnlySpan{byte}, Span{byte})"/> and
/// <see cref="CoverageMap.CountOnlyIn(ReadOnlySpan{byte}, ReadOnlySpan{byte})"/> against a byte loop.
/// </summary>
public sealed class CoverageMapDiffTests
{
    [Theory]
    [MemberData(nameof(WidthsAndContentPairs), MemberType = typeof(MapTestData))]
    public void DiffAndCountOnlyIn_MatchScalarOracle(int width, MapContent aContent, MapContent bContent)
    {
        foreach ((int length, int offset, int otherOffset) in Cases())
        {
            byte[] aBuffer = Buffer(aContent, 0, length, offset);
            byte[] bBuffer = Buffer(bContent, 1, length, otherOffset);
            // The output starts with content of its own, so a byte the kernel skips shows.
            byte[] outBuffer = Buffer(MapContent.AllSet, 0, length, otherOffset);
            ReadOnlySpan<byte> a = aBuffer.AsSpan(offset, length);
            ReadOnlySpan<byte> b = bBuffer.AsSpan(otherOffset, length);
            Span<byte> onlyInA = outBuffer.AsSpan(otherOffset, length);
            byte[] expected = new byte[length];
            long expectedCount = 0;
            for (int i = 0; i < length; i++)
            {
                expected[i] = b[i] == 0 ? a[i] : (byte)0;
                expectedCount += expected[i] != 0 ? 1 : 0;
            }

            string context = Describe(width, length, offset);
            Assert.Equal((context, expectedCount), (context, CoverageMap.CountOnlyIn(a, b, (KernelWidth)width)));
            Assert.Equal((context, expectedCount), (context, CoverageMap.Diff(a, b, onlyInA, (KernelWidth)width)));
            AssertSameBytes(expected, onlyInA, context);
            AssertGuards(outBuffer, otherOffset, length, context);
        }
    }

    [Fact]
    public void Diff_RemovesBFromA_InPlace()
    {
        foreach (KernelWidth width in SupportedWidths())
        {
            byte[] a = Map(MapContent.Half, 0, 4097);
            byte[] b = Map(MapContent.Half, 1, 4097);
            byte[] expected = [.. a.Zip(b, (x, y) => y == 0 ? x : (byte)0)];

            long count = CoverageMap.Diff(a, b, a, width);

            AssertSameBytes(expected, a, $"width {width}");
            Assert.Equal(NonZero(expected), count);
        }
    }

    [Fact]
    public void Diff_WritesIntoB_WhenOutputIsB()
    {
        foreach (KernelWidth width in SupportedWidths())
        {
            byte[] a = Map(MapContent.Half, 0, 4097);
            byte[] b = Map(MapContent.Half, 1, 4097);
            byte[] expected = [.. a.Zip(b, (x, y) => y == 0 ? x : (byte)0)];

            CoverageMap.Diff(a, b, b, width);

            AssertSameBytes(expected, b, $"width {width}");
        }
    }

    [Fact]
    public void PublicOverloads_CountAndWriteTheDifference()
    {
        byte[] a = [0, 1, 2, 0, 5, 0, 7, 8, 9];
        byte[] b = [0, 0, 3, 4, 0, 0, 0, 1, 0];
        byte[] onlyInA = new byte[a.Length];

        Assert.Equal(4, CoverageMap.CountOnlyIn(a, b));
        Assert.Equal(4, CoverageMap.Diff(a, b, onlyInA));
        Assert.Equal([0, 1, 0, 0, 5, 0, 7, 0, 9], onlyInA);
    }

    [Fact]
    public void Throws_WhenLengthsDiffer()
    {
        var e = Assert.Throws<ArgumentException>(() => CoverageMap.CountOnlyIn(new byte[3], new byte[4]));
        Assert.Contains("a has 3 bytes and b has 4", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => CoverageMap.Diff(new byte[3], new byte[3], new byte[5]));
        Assert.Equal("onlyInA", e.ParamName);
        Assert.Contains("has 5", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Diff_Throws_WhenOutputPartlyOverlapsAnInput()
    {
        byte[] buffer = new byte[100];
        var e = Assert.Throws<ArgumentException>(() => CoverageMap.Diff(buffer.AsSpan(0, 50), new byte[50], buffer.AsSpan(49, 50)));
        Assert.Equal("onlyInA", e.ParamName);
        Assert.Throws<ArgumentException>(() => CoverageMap.Diff(new byte[50], buffer.AsSpan(10, 50), buffer.AsSpan(0, 50)));
    }
}
