using BenchmarkDotNet.Attributes;

namespace Memcov.Benchmarks;

/// <summary>The memory bandwidth every kernel is read against: copying the map.</summary>
public class CopyBenchmarks : TwoMapBenchmarks
{
    protected override void Fill(Span<byte> source, Span<byte> destination) => Maps.FillCovered(source, 1);

    [Benchmark(Baseline = true)]
    public byte CopyTo()
    {
        Span<byte> destination = Destination.Span;
        Source.Span.CopyTo(destination);
        return destination[^1];
    }

    [Benchmark]
    public byte NaiveByteCopy()
    {
        Span<byte> source = Source.Span;
        Span<byte> destination = Destination.Span;
        for (int i = 0; i < source.Length; i++)
        {
            destination[i] = source[i];
        }

        return destination[^1];
    }
}
