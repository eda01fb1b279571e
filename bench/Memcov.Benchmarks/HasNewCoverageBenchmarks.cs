using BenchmarkDotNet.Attributes;
using Memcov.SharedMem;

namespace Memcov.Benchmarks;

/// <summary>
/// The fuzzer's question after each run: does the map have a bit (an edge, or a class of one) the
/// virgin map has not seen? The common answer is no, which reads both maps to the end, as measured here.
/// </summary>
public class HasNewCoverageBenchmarks : TwoMapBenchmarks
{
    // Source is the map, Destination the virgin map.
    protected override void Fill(Span<byte> source, Span<byte> destination)
    {
        Maps.FillCovered(source, 5);
        CoverageMap.InitVirgin(destination);
        CoverageMap.UpdateVirgin(source, destination); // every edge of the map is seen: nothing new
    }

    [Benchmark(Baseline = true)]
    public bool NaiveByteLoop()
    {
        ReadOnlySpan<byte> map = Source.Span;
        ReadOnlySpan<byte> virgin = Destination.Span;
        for (int i = 0; i < map.Length; i++)
        {
            if ((map[i] & virgin[i]) != 0)
            {
                return true;
            }
        }

        return false;
    }

    [Benchmark]
    public bool HasNewCoverage() => CoverageMap.HasNewCoverage(Source.Span, Destination.Span);
}
