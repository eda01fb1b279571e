using System.Buffers;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;
using Memcov.SharedMem;

namespace Memcov.Benchmarks;

/// <summary>
/// Feed records per second through a pipe: <see cref="CoverageFeed"/> samples a 64 Ki-edge region
/// and writes a record, <see cref="FeedReader"/> parses it. Each operation is one record, so
/// records per second are 10^9 / the mean in ns.
/// </summary>
public class FeedBenchmarks
{
    private const int Records = 256;
    private const int NewEdgesPerRecord = 64;
    private const int Edges = 64 << 10;

    private BenchRegion _region = null!;
    private Pipe _pipe = null!;
    private CoverageFeed _feed = null!;
    private FeedReader _reader = null!;
    private byte[] _recorded = [];

    [GlobalSetup]
    public void Setup()
    {
        _region = new BenchRegion("feed", Edges, 9);
        _pipe = new Pipe();
        _feed = new CoverageFeed(_region.Region, _pipe.Writer);
        _reader = new FeedReader(_pipe.Reader);
        _recorded = RecordFeed();

        // The first record lists every edge covered so far, more than the pipe holds before the
        // writer waits for the reader: read it while it is written. Later records have no new edge.
        ValueTask<bool> first = _reader.MoveNextAsync();
        _feed.SampleAsync().AsTask().GetAwaiter().GetResult();
        first.AsTask().GetAwaiter().GetResult();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _pipe.Writer.Complete();
        _pipe.Reader.Complete();
        _region.Dispose();
    }

    /// <summary>A sample of a region whose coverage did not change since the last one (a long campaign's usual record), written and parsed.</summary>
    [Benchmark(OperationsPerInvoke = Records)]
    public async Task<long> WriteAndParse()
    {
        long covered = 0;
        for (int i = 0; i < Records; i++)
        {
            await _feed.SampleAsync();
            await _reader.MoveNextAsync();
            covered += _reader.Current.Covered;
        }

        return covered;
    }

    /// <summary>Records of 64 new edges each, parsed from memory.</summary>
    [Benchmark(OperationsPerInvoke = Records)]
    public async Task<long> Parse()
    {
        var reader = new FeedReader(PipeReader.Create(new ReadOnlySequence<byte>(_recorded)));
        long edges = 0;
        while (await reader.MoveNextAsync())
        {
            edges += reader.Current.NewEdges.Length;
        }

        return edges;
    }

    /// <summary>Writes a feed of <see cref="Records"/> records with <see cref="NewEdgesPerRecord"/> new edges each.</summary>
    private static byte[] RecordFeed()
    {
        using var region = new BenchRegion("feed-recorded", Records * NewEdgesPerRecord * 2, 10);
        Span<byte> map = region.Region.DangerousGetWritableMap();
        map.Clear();
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var feed = new CoverageFeed(region.Region, pipe.Writer);
        for (int r = 0; r < Records; r++)
        {
            for (int e = 0; e < NewEdgesPerRecord; e++)
            {
                map[(r * NewEdgesPerRecord) + e] = 1;
            }

            feed.SampleAsync().AsTask().GetAwaiter().GetResult();
        }

        pipe.Writer.Complete();
        pipe.Reader.TryRead(out ReadResult result);
        byte[] bytes = result.Buffer.ToArray();
        pipe.Reader.Complete();
        return bytes;
    }
}
