using BenchmarkDotNet.Attributes;

namespace Memcov.Benchmarks;

/// <summary>
/// What every two-map kernel benchmark shares: a size from <see cref="Maps.Sizes"/>, a source and a
/// destination map in 64-byte-aligned native memory, and their release.
/// </summary>
public abstract class TwoMapBenchmarks
{
    /// <summary>The map read.</summary>
    protected NativeBuffer Source { get; private set; } = null!;

    /// <summary>The map written (or the second map read).</summary>
    protected NativeBuffer Destination { get; private set; } = null!;

    [ParamsSource(nameof(Sizes))]
    public int Size { get; set; }

    public static IEnumerable<int> Sizes => Maps.Sizes;

    [GlobalSetup]
    public void Setup()
    {
        Source = new NativeBuffer(Size);
        Destination = new NativeBuffer(Size);
        Fill(Source.Span, Destination.Span);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Source.Dispose();
        Destination.Dispose();
    }

    /// <summary>Gives the two maps the contents the benchmark measures.</summary>
    protected abstract void Fill(Span<byte> source, Span<byte> destination);
}
