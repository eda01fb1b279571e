using BenchmarkDotNet.Attributes;

namespace Memcov.Benchmarks;

/// <summary>The memory bandwidth every kernel is read against: copying the map.</summary>
public class CopyBenchmarks
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
        Maps.FillCovered(_source.Span, 1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _source.Dispose();
        _destination.Dispose();
    }

    [Benchmark(Baseline = true)]
    public byte CopyTo()
    {
        Span<byte> destination = _destination.Span;
        _source.Span.CopyTo(destination);
        return destination[^1];
    }

    [Benchmark]
    public byte NaiveByteCopy()
    {
        Span<byte> source = _source.Span;
        Span<byte> destination = _destination.Span;
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = source[i];
        }

        return destination[^1];
    }
}
