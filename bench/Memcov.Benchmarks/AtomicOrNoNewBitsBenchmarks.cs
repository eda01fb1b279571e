using BenchmarkDotNet.Attributes;
using Memcov.SharedMem;

namespace Memcov.Benchmarks;

/// <summary>
/// Merging a map whose edges the shared map has already (the common case of a long campaign), with
/// atomic operations: nothing changes, so every invocation measures the same merge.
/// </summary>
public class AtomicOrNoNewBitsBenchmarks : TwoMapBenchmarks
{
    protected override void Fill(Span<byte> source, Span<byte> destination)
    {
        Maps.FillCovered(source, 6);
        Maps.FillCovered(destination, 7);
        CoverageMap.Or(source, destination);
    }

    [Benchmark(Baseline = true)]
    public unsafe ulong InterlockedOrEveryWord()
    {
        ulong* source = (ulong*)Source.Pointer;
        ulong* destination = (ulong*)Destination.Pointer;
        ulong last = 0;
        for (int w = 0; w < Size / 8; w++)
        {
            last = Interlocked.Or(ref destination[w], source[w]);
        }

        return last;
    }

    [Benchmark]
    public long AtomicOr() => CoverageMap.AtomicOr(Source.Span, Destination.Span);
}
