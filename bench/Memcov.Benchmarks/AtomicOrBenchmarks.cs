using BenchmarkDotNet.Attributes;
using Memcov.SharedMem;

namespace Memcov.Benchmarks;

/// <summary>What the source of an atomic merge adds to the shared map.</summary>
public enum NewBits
{
    /// <summary>New edges in 1 % of the 64-bit words.</summary>
    OnePercent,

    /// <summary>Every edge of the source is new: the shared map starts empty.</summary>
    All,
}

/// <summary>
/// Merging a map that adds edges into a map other processes write (a region's live map), with
/// atomic operations. The destination is restored before every iteration, so each iteration is one
/// merge that adds exactly the new bits of its case; hence one invocation per iteration, which
/// also times the call's set-up. The merge that adds nothing is <see cref="AtomicOrNoNewBitsBenchmarks"/>.
/// </summary>
[InvocationCount(1)]
[IterationCount(15)]
public class AtomicOrBenchmarks
{
    private NativeBuffer _source = null!;
    private NativeBuffer _pristine = null!;
    private NativeBuffer _destination = null!;

    [ParamsSource(nameof(Sizes))]
    public int Size { get; set; }

    [ParamsAllValues]
    public NewBits NewBits { get; set; }

    public static IEnumerable<int> Sizes => Maps.Sizes;

    [GlobalSetup]
    public void Setup()
    {
        _source = new NativeBuffer(Size);
        _pristine = new NativeBuffer(Size);
        _destination = new NativeBuffer(Size);
        Maps.FillCovered(_source.Span, 6);
        Span<byte> pristine = _pristine.Span;
        switch (NewBits)
        {
            case NewBits.OnePercent:
                Maps.FillCovered(pristine, 7);
                CoverageMap.Or(_source.Span, pristine);
                _source.Span.Fill(0);
                for (int w = 0; w < Size / 8; w += 100)
                {
                    _source.Span[w * 8] = 1;
                    pristine[w * 8] = 0;
                }

                break;
            case NewBits.All:
                pristine.Clear();
                break;
        }
    }

    [IterationSetup]
    public void Restore() => _pristine.Span.CopyTo(_destination.Span);

    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Dispose();
        _pristine.Dispose();
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
