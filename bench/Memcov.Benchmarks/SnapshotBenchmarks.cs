using BenchmarkDotNet.Attributes;
using CommunityToolkit.HighPerformance.Buffers;

namespace Memcov.Benchmarks;

/// <summary>Copying a live region's map into a pooled buffer, against copying it into a buffer the caller has.</summary>
public class SnapshotBenchmarks
{
    private BenchRegion _region = null!;
    private NativeBuffer _destination = null!;

    [ParamsSource(nameof(Sizes))]
    public int Size { get; set; }

    public static IEnumerable<int> Sizes => Maps.Sizes;

    [GlobalSetup]
    public void Setup()
    {
        _region = new BenchRegion("snapshot", Size, 8);
        _destination = new NativeBuffer(Size);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _region.Dispose();
        _destination.Dispose();
    }

    [Benchmark(Baseline = true)]
    public byte CopyTo()
    {
        Span<byte> destination = _destination.Span;
        _region.Region.Map.CopyTo(destination);
        return destination[^1];
    }

    [Benchmark]
    public int Snapshot()
    {
        using MemoryOwner<byte> snapshot = _region.Region.Snapshot();
        return snapshot.Length;
    }
}
