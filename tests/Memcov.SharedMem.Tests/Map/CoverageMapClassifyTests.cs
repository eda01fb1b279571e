using static Memcov.SharedMem.Tests.MapTestData;
using KernelWidth = Memcov.SharedMem.CoverageMap.KernelWidth;

namespace Memcov.SharedMem.Tests;

/// <summary><see cref="CoverageMap.Classify(ReadOnlySpan{byte}, Span{byte})"/> against AFL++'s buckets, one byte at a time.</summary>
public sealed class CoverageMapClassifyTests
{
    /// <summary>The scalar oracle: AFL++'s <c>count_class_lookup8</c>, each bucket a bit.</summary>
    private static byte ClassOf(byte count) => count switch
    {
        0 => 0,
        1 => 0x01,
        2 => 0x02,
        3 => 0x04,
        <= 7 => 0x08,
        <= 15 => 0x10,
        <= 31 => 0x20,
        <= 127 => 0x40,
        _ => 0x80,
    };

    private static byte[] Expected(ReadOnlySpan<byte> counts)
    {
        byte[] expected = new byte[counts.Length];
        for (int i = 0; i < counts.Length; i++)
        {
            expected[i] = ClassOf(counts[i]);
        }

        return expected;
    }

    [Theory]
    [MemberData(nameof(Widths), MemberType = typeof(MapTestData))]
    public void Classify_GivesEveryCountItsClass_AtEveryPositionOfAStep(int width)
    {
        // Every count 0-255 at every offset of a 256-byte stretch (counts shift by one each round), so
        // each value passes through each lane of each vector width, the word step and the byte tail.
        const int length = 256 + 64 + 7;
        foreach (int offset in new[] { 0, 1, 5 })
        {
            for (int shift = 0; shift < 64; shift++)
            {
                byte[] countsBuffer = new byte[offset + length + GuardLength];
                countsBuffer.AsSpan().Fill(Guard);
                Span<byte> counts = countsBuffer.AsSpan(offset, length);
                for (int i = 0; i < length; i++)
                {
                    counts[i] = (byte)(i + shift);
                }

                byte[] classesBuffer = Buffer(MapContent.AllSet, 0, length, offset);
                Span<byte> classes = classesBuffer.AsSpan(offset, length);

                CoverageMap.Classify(counts, classes, (KernelWidth)width);

                string context = $"{Describe(width, length, offset)}, shift {shift}";
                AssertSameBytes(Expected(counts), classes, context);
                AssertGuards(classesBuffer, offset, length, context);
                AssertGuards(countsBuffer, offset, length, context);
            }
        }
    }

    [Theory]
    [MemberData(nameof(WidthsAndContents), MemberType = typeof(MapTestData))]
    public void Classify_MatchesScalarOracle(int width, MapContent content)
    {
        foreach ((int length, int offset, int otherOffset) in Cases())
        {
            byte[] countsBuffer = Buffer(content, 0, length, offset);
            // Every byte written starts as 0xFF, which is no class: a byte the kernel skips shows.
            byte[] classesBuffer = Buffer(MapContent.AllSet, 0, length, otherOffset);
            ReadOnlySpan<byte> counts = countsBuffer.AsSpan(offset, length);
            Span<byte> classes = classesBuffer.AsSpan(otherOffset, length);

            CoverageMap.Classify(counts, classes, (KernelWidth)width);

            string context = Describe(width, length, offset);
            AssertSameBytes(Expected(counts), classes, context);
            AssertGuards(classesBuffer, otherOffset, length, context);
        }
    }

    [Theory]
    [MemberData(nameof(WidthsAndContents), MemberType = typeof(MapTestData))]
    public void Classify_InPlace_MatchesScalarOracle(int width, MapContent content)
    {
        foreach ((int length, int offset, _) in Cases())
        {
            byte[] buffer = Buffer(content, 1, length, offset);
            Span<byte> map = buffer.AsSpan(offset, length);
            byte[] expected = Expected(map);

            CoverageMap.Classify(map, map, (KernelWidth)width);

            string context = Describe(width, length, offset);
            AssertSameBytes(expected, map, context);
            AssertGuards(buffer, offset, length, context);
        }
    }

    [Fact]
    public void Classify_PublicOverload_BucketsAsAflPlusPlus()
    {
        byte[] counts = [0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 127, 128, 255];
        byte[] classes = new byte[counts.Length];

        CoverageMap.Classify(counts, classes);

        Assert.Equal([0, 0x01, 0x02, 0x04, 0x08, 0x08, 0x10, 0x10, 0x20, 0x20, 0x40, 0x40, 0x80, 0x80], classes);
    }

    [Fact]
    public void Classify_AllocatesNothing()
    {
        byte[] counts = Map(MapContent.Half, 0, 65_537);
        byte[] classes = new byte[counts.Length];
        CoverageMap.Classify(counts, classes);

        // In four stretches, as the feed's test does: a kernel that allocates per call allocates in
        // each, while a one-off allocation of the runtime on this thread lands in one at most.
        long[] allocated = new long[4];
        for (int stretch = 0; stretch < allocated.Length; stretch++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 50; i++)
            {
                CoverageMap.Classify(counts, classes);
                CoverageMap.Classify(classes, classes);
            }

            allocated[stretch] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.True(allocated.Count(a => a == 0) >= allocated.Length - 1, $"4 stretches of 100 calls allocated {string.Join(", ", allocated)} bytes");
    }

    [Fact]
    public void Classify_Throws_WhenLengthsDiffer()
    {
        var e = Assert.Throws<ArgumentException>(() => CoverageMap.Classify(new byte[16], new byte[17]));
        Assert.Equal("classes", e.ParamName);
        Assert.Contains("counts has 16 bytes and classes has 17", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Classify_Throws_WhenSpansPartlyOverlap()
    {
        byte[] buffer = new byte[100];
        var e = Assert.Throws<ArgumentException>(() => CoverageMap.Classify(buffer.AsSpan(1, 64), buffer.AsSpan(0, 64)));
        Assert.Equal("classes", e.ParamName);
    }
}
