using BenchmarkDotNet.Attributes;
using Memcov.SharedMem;

namespace Memcov.Benchmarks;

/// <summary>How fast one map is merged into another by a single owner (plain stores).</summary>
public class OrBenchmarks : TwoMapBenchmarks
{
    protected override void Fill(Span<byte> source, Span<byte> destination)
    {
        Maps.FillCovered(source, 3);
        Maps.FillCovered(destination, 4);
    }

    [Benchmark(Baseline = true)]
    public byte NaiveByteLoop()
    {
        ReadOnlySpan<byte> source = Source.Span;
        Span<byte> destination = Destination.Span;
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] |= source[i];
        }

        return destination[^1];
    }

    [Benchmark]
    public byte Or()
    {
        Span<byte> destination = Destination.Span;
        CoverageMap.Or(Source.Span, destination);
        return destination[^1];
    }
}
