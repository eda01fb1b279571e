using BenchmarkDotNet.Attributes;
using Memcov.SharedMem;

namespace Memcov.Benchmarks;

/// <summary>How fast the covered edges of a map are counted.</summary>
public class CountCoveredBenchmarks
{
    private NativeBuffer _map = null!;

    [ParamsSource(nameof(Sizes))]
    public int Size { get; set; }

    public static IEnumerable<int> Sizes => Maps.Sizes;

    [GlobalSetup]
    public void Setup()
    {
        _map = new NativeBuffer(Size);
        Maps.FillCovered(_map.Span, 2);
    }

    [GlobalCleanup]
    public void Cleanup() => _map.Dispose();

    [Benchmark(Baseline = true)]
    public long NaiveByteLoop()
    {
        ReadOnlySpan<byte> map = _map.Span;
        long count = 0;
        for (int i = 0; i < map.Length; i++)
        {
            if (map[i] != 0)
            {
                count++;
            }
        }

        return count;
    }

    [Benchmark]
    public long CountCovered() => CoverageMap.CountCovered(_map.Span);
}
