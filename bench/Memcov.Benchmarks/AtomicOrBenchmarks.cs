using BenchmarkDotNet.Attributes;
using Memcov.SharedMem;

namespace Memcov.Benchmarks;

/// <summary>How many of the 64-bit words of the shared map an atomic merge adds edges to.</summary>
public enum NewBits
{
    /// <summary>1 % of the words, chosen at random.</summary>
    OnePercent,

    /// <summary>Half of the words, chosen at random.</summary>
    Half,

    /// <summary>Every word.</summary>
    All,
}

/// <summary>
/// Merging a map that adds edges into a map other processes write (a region's live map), with
/// atomic operations. The merge that adds nothing is <see cref="AtomicOrNoNewBitsBenchmarks"/>.
/// </summary>
/// <remarks>
/// <para>
/// A merge that adds edges changes the destination, so each must start from a restored copy. Every
/// invocation of <see cref="InterlockedOrEveryWord"/> and <see cref="AtomicOr"/> restores the
/// destination (<c>CopyTo</c> from a pristine copy) and then merges, so both run many times per
/// iteration under the same conditions: warm code after tiered compilation, and a destination the
/// copy has just brought into the cache. <see cref="Restore"/> times the copy alone; bench/run.py
/// subtracts it from both to compare the merges. (One merge per iteration with the restore in an
/// iteration set-up timed a single cold call, which ran the library's code as unoptimized tier-0
/// for most of a 64 KiB map, while the baseline's own loop was optimized on its first call.)
/// </para>
/// <para>
/// Every word of the source hits at least one edge; in the words chosen by <see cref="NewBits"/>
/// the destination lacks all of the source's edges, elsewhere it has them, plus edges of its own.
/// </para>
/// <para>
/// 15 iterations rather than the pinned job's 7: with every word new the two merges differ by a
/// few percent, and the medians must hold through bursts of load on a shared machine.
/// </para>
/// </remarks>
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
        Span<byte> source = _source.Span;
        Span<byte> pristine = _pristine.Span;
        Maps.FillCovered(source, 6);
        for (int w = 0; w < Size; w += 8)
        {
            if (!source.Slice(w, 8).ContainsAnyExcept((byte)0))
            {
                source[w + ((w >> 3) & 7)] = 1;
            }
        }

        Maps.FillCovered(pristine, 7);
        CoverageMap.Or(source, pristine);
        double share = NewBits switch
        {
            NewBits.OnePercent => 0.01,
            NewBits.Half => 0.5,
            _ => 1.0,
        };
        var random = new Random(8);
        for (int w = 0; w < Size; w += 8)
        {
            if (share >= 1.0 || random.NextDouble() < share)
            {
                for (int i = w; i < w + 8; i++)
                {
                    pristine[i] = source[i] != 0 ? (byte)0 : pristine[i];
                }
            }
        }

        Restore();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Dispose();
        _pristine.Dispose();
        _destination.Dispose();
    }

    /// <summary>The restore alone, which the two merges also do: subtracted from both.</summary>
    [Benchmark]
    public byte Restore()
    {
        _pristine.Span.CopyTo(_destination.Span);
        return _destination.Span[^1];
    }

    /// <summary>The naive merge: restore, then <see cref="Interlocked.Or(ref ulong, ulong)"/> on every word, counting nothing.</summary>
    [Benchmark(Baseline = true)]
    public unsafe ulong InterlockedOrEveryWord()
    {
        _pristine.Span.CopyTo(_destination.Span);
        ulong* source = (ulong*)_source.Pointer;
        ulong* destination = (ulong*)_destination.Pointer;
        ulong last = 0;
        for (int w = 0; w < Size / 8; w++)
        {
            last = Interlocked.Or(ref destination[w], source[w]);
        }

        return last;
    }

    /// <summary>Restore, then <see cref="CoverageMap.AtomicOr(ReadOnlySpan{byte}, Span{byte})"/>, which also counts the new edges.</summary>
    [Benchmark]
    public long AtomicOr()
    {
        _pristine.Span.CopyTo(_destination.Span);
        return CoverageMap.AtomicOr(_source.Span, _destination.Span);
    }
}
