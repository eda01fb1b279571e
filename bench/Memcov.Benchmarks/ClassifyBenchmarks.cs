using BenchmarkDotNet.Attributes;
using Memcov.SharedMem;

namespace Memcov.Benchmarks;

/// <summary>
/// How fast a map of hit counts becomes a map of hit-count classes, as a worker's counters are
/// classified before they merge.
/// </summary>
public class ClassifyBenchmarks : TwoMapBenchmarks
{
    // Source holds the counts, Destination receives the classes.
    protected override void Fill(Span<byte> source, Span<byte> destination) => Maps.FillCounts(source, 6);

    [Benchmark(Baseline = true)]
    public byte NaiveByteLoop()
    {
        ReadOnlySpan<byte> counts = Source.Span;
        Span<byte> classes = Destination.Span;
        for (int i = 0; i < counts.Length; i++)
        {
            classes[i] = counts[i] switch
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
        }

        return classes[^1];
    }

    [Benchmark]
    public byte Classify()
    {
        Span<byte> classes = Destination.Span;
        CoverageMap.Classify(Source.Span, classes);
        return classes[^1];
    }
}
