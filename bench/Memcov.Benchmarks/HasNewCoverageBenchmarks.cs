using BenchmarkDotNet.Attributes;
using Memcov.SharedMem;

namespace Memcov.Benchmarks;

/// <summary>
/// The fuzzer's question after each run: does the map hit an edge the virgin map has not seen? The
/// common answer is no, which reads both maps to the end, as measured here.
/// </summary>
public class HasNewCoverageBenchmarks
{
    private NativeBuffer _map = null!;
    private NativeBuffer _virgin = null!;

    [ParamsSource(nameof(Sizes))]
    public int Size { get; set; }

    public static IEnumerable<int> Sizes => Maps.Sizes;

    [GlobalSetup]
    public void Setup()
    {
        _map = new NativeBuffer(Size);
        _virgin = new NativeBuffer(Size);
        Maps.FillCovered(_map.Span, 5);
        CoverageMap.InitVirgin(_virgin.Span);
        CoverageMap.UpdateVirgin(_map.Span, _virgin.Span); // every edge of the map is seen: nothing new
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _map.Dispose();
        _virgin.Dispose();
    }

    [Benchmark(Baseline = true)]
    public bool NaiveByteLoop()
    {
        ReadOnlySpan<byte> map = _map.Span;
        ReadOnlySpan<byte> virgin = _virgin.Span;
        for (int i = 0; i < map.Length; i++)
        {
            if (map[i] != 0 && virgin[i] != 0)
            {
                return true;
            }
        }

        return false;
    }

    [Benchmark]
    public bool HasNewCoverage() => CoverageMap.HasNewCoverage(_map.Span, _virgin.Span);
}
