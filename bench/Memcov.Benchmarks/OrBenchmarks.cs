using BenchmarkDotNet.Attributes;
using Memcov.SharedMem;

namespace Memcov.Benchmarks;

/// <summary>How fast one map is merged into another by a single owner (plain stores).</summary>
public class OrBenchmarks
{
    private NativeBuffer _source = null!;
    private NativeBuffer _destination = null!;

    [ParamsSource(nameof(Sizes))]
    public int Size { get; set; }

    public static IEnumerable<int> Sizes => Maps.Sizes;

    [GlobalSetup]
    public void Setup()
    {
        _source = new NativeBuffer(Size);
        _destination = new NativeBuffer(Size);
        Maps.FillCovered(_source.Span, 3);
        Maps.FillCovered(_destination.Span, 4);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Dispose();
        _destination.Dispose();
    }

    [Benchmark(Baseline = true)]
    public byte NaiveByteLoop()
    {
        ReadOnlySpan<byte> source = _source.Span;
        Span<byte> destination = _destination.Span;
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] |= source[i];
        }

        return destination[^1];
    }

    [Benchmark]
    public byte Or()
    {
        Span<byte> destination = _destination.Span;
        CoverageMap.Or(_source.Span, destination);
        return destination[^1];
    }
}
