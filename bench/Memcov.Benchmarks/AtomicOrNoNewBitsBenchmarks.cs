using BenchmarkDotNet.Attributes;
using Memcov.SharedMem;

namespace Memcov.Benchmarks;

/// <summary>
/// Merging a map whose edges the shared map has already (the common case of a long campaign), with
/// atomic operations: nothing changes, so every invocation measures the same merge.
/// </summary>
public class AtomicOrNoNewBitsBenchmarks
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
        Maps.FillCovered(_source.Span, 6);
        Maps.FillCovered(_destination.Span, 7);
        CoverageMap.Or(_source.Span, _destination.Span);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Dispose();
        _destination.Dispose();
    }

    [Benchmark(Baseline = true)]
    public unsafe ulong InterlockedOrEveryWord()
    {
        ulong* source = (ulong*)_source.Pointer;
        ulong* destination = (ulong*)_destination.Pointer;
        ulong last = 0;
        for (int w = 0; w < Size / 8; w++)
        {
            last = Interlocked.Or(ref destination[w], source[w]);
        }

        return last;
    }

    [Benchmark]
    public long AtomicOr() => CoverageMap.AtomicOr(_source.Span, _destination.Span);
}
