using System.IO.Pipelines;

namespace Memcov.SharedMem.Tests;

/// <summary>The coverage feed: what a sampler writes, a reader reads back, and damage is reported.</summary>
public sealed class CoverageFeedTests : RegionTestBase
{
    private static readonly PipeOptions Unbounded = new(pauseWriterThreshold: 0, resumeWriterThreshold: 0);

    private sealed record Sampled(TimeSpan Elapsed, long Covered, long Allocated, uint[] NewEdges);

    private static Sampled Copy(FeedRecord r) => new(r.Elapsed, r.Covered, r.Allocated, r.NewEdges.ToArray());

    private static async Task<List<Sampled>> ReadAll(PipeReader input)
    {
        var reader = new FeedReader(input);
        var records = new List<Sampled>();
        while (await reader.MoveNextAsync())
        {
            records.Add(Copy(reader.Current));
        }

        return records;
    }

    [Fact]
    public async Task Feed_RoundTripsThroughAPipe_AndItsNewEdgesAreTheMap()
    {
        string name = NewName("feed");
        using CoverageRegion region = CoverageRegion.Create(name, 1 << 16);
        var pipe = new Pipe(Unbounded);
        var feed = new CoverageFeed(region, pipe.Writer);
        var sampled = new List<Sampled> { Copy(await feed.SampleAsync()) };
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 12));
        sampled.Add(Copy(await feed.SampleAsync()));
        sampled.Add(Copy(await feed.SampleAsync()));
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 12, 12));
        sampled.Add(Copy(await feed.SampleAsync()));
        await pipe.Writer.CompleteAsync();

        List<Sampled> read = await ReadAll(pipe.Reader);

        Assert.Equal(sampled.Count, read.Count);
        for (int i = 0; i < read.Count; i++)
        {
            Assert.Equal(sampled[i].Elapsed, read[i].Elapsed);
            Assert.Equal(sampled[i].Covered, read[i].Covered);
            Assert.Equal(sampled[i].Allocated, read[i].Allocated);
            Assert.Equal(sampled[i].NewEdges, read[i].NewEdges);
        }

        Assert.Equal(0, read[0].Covered);
        Assert.Empty(read[2].NewEdges); // nothing ran between the two samples
        Assert.True(read[3].Covered > read[1].Covered, "the second worker added no edge");
        uint[] expected = [.. Enumerable.Range(0, region.Map.Length).Where(i => region.Map[i] != 0).Select(i => (uint)i)];
        Assert.Equal(expected, read.SelectMany(r => r.NewEdges).Order());
        Assert.Equal(region.CountCovered(), feed.SeenEdges);
    }

    [Fact]
    public async Task Feed_ReportsAnEdgeOnce_EvenAfterAResetAndAHitAgain()
    {
        string name = NewName("feed-reset");
        using CoverageRegion region = CoverageRegion.Create(name, 1 << 16);
        var pipe = new Pipe(Unbounded);
        var feed = new CoverageFeed(region, pipe.Writer);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 24));
        FeedRecord first = await feed.SampleAsync();
        long covered = first.Covered;
        region.Reset();
        Assert.Equal(0, (await feed.SampleAsync()).Covered);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 24));
        FeedRecord again = await feed.SampleAsync();
        Assert.Equal(covered, again.Covered);
        Assert.True(again.NewEdges.IsEmpty);
        Assert.Equal(covered, feed.SeenEdges);
    }

    [Fact]
    public async Task RunAsync_EndsWithTheFinalState_WhenCancelled()
    {
        string name = NewName("feed-run");
        using CoverageRegion region = CoverageRegion.Create(name, 1 << 16);
        var pipe = new Pipe(Unbounded);
        var feed = new CoverageFeed(region, pipe.Writer);
        using var stop = new CancellationTokenSource();
        Task run = feed.RunAsync(TimeSpan.FromMilliseconds(5), stop.Token);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 24));
        await stop.CancelAsync();
        await run;
        await pipe.Writer.CompleteAsync();

        List<Sampled> read = await ReadAll(pipe.Reader);
        Assert.True(read.Count >= 2);
        Assert.Equal(region.CountCovered(), read[^1].Covered);
        Assert.Equal(region.CountCovered(), read.Sum(r => r.NewEdges.Length));
        Assert.True(read.Zip(read.Skip(1)).All(p => p.First.Elapsed <= p.Second.Elapsed));
    }

    [Fact]
    public async Task Reader_AllocatesNothingPerRecord()
    {
        string name = NewName("feed-alloc");
        using CoverageRegion region = CoverageRegion.Create(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 24));
        var pipe = new Pipe(Unbounded);
        var feed = new CoverageFeed(region, pipe.Writer);
        for (int i = 0; i < 2000; i++)
        {
            await feed.SampleAsync();
        }

        await pipe.Writer.CompleteAsync();
        var reader = new FeedReader(pipe.Reader);
        Assert.True(await reader.MoveNextAsync());
        int records = 1;

        // Every record is buffered, so each read completes at once, on this thread: the counts
        // below measure the reader alone, never a continuation's thread. The records are read in
        // four stretches: a reader that allocates per record allocates in each of them, while the
        // runtime's own one-off allocations on this thread (under load, tiering) land in one at most.
        int[] lengths = [500, 500, 500, 499];
        long[] allocated = new long[lengths.Length];
        for (int stretch = 0; stretch < lengths.Length; stretch++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < lengths[stretch]; i++)
            {
                ValueTask<bool> next = reader.MoveNextAsync();
                if (!next.IsCompletedSuccessfully)
                {
                    Assert.Fail($"record {records + 1} was not read at once");
                }

                if (!await next) // completed: continues on this thread
                {
                    Assert.Fail($"the feed ended after {records} records");
                }

                records++;
            }

            allocated[stretch] = GC.GetAllocatedBytesForCurrentThread() - before;
        }

        Assert.Equal(2000, records);
        Assert.False(await reader.MoveNextAsync());
        Assert.True(allocated.Count(a => a == 0) >= allocated.Length - 1, $"reading 4 stretches of records allocated {string.Join(", ", allocated)} bytes");
    }

    [Fact]
    public async Task Reader_SaysWhereAFeedIsDamaged()
    {
        string name = NewName("feed-bad");
        using CoverageRegion region = CoverageRegion.Create(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 24));
        var pipe = new Pipe(Unbounded);
        var feed = new CoverageFeed(region, pipe.Writer);
        int newEdges = (await feed.SampleAsync()).NewEdges.Length;
        await feed.SampleAsync();
        await pipe.Writer.CompleteAsync();
        byte[] good = System.Buffers.BuffersExtensions.ToArray((await pipe.Reader.ReadAsync()).Buffer);
        int secondRecord = FeedFormat.HeaderSize + FeedFormat.MinRecordSize + (4 * newEdges);
        Assert.Equal(secondRecord + FeedFormat.MinRecordSize, good.Length);

        // A flipped bit in the second record's covered count.
        byte[] flipped = (byte[])good.Clone();
        flipped[secondRecord + 16] ^= 1;
        var e = await Assert.ThrowsAsync<FeedCorruptException>(() => ReadBytes(flipped));
        Assert.Equal(secondRecord, e.Offset);
        Assert.Contains("checksum", e.Message);

        // Cut inside the second record.
        e = await Assert.ThrowsAsync<FeedCorruptException>(() => ReadBytes(good[..(secondRecord + 10)]));
        Assert.Contains("ends after 10 of the 48 bytes", e.Message);

        // Not a feed at all.
        byte[] other = (byte[])good.Clone();
        "MCOVBLOB"u8.CopyTo(other);
        e = await Assert.ThrowsAsync<FeedCorruptException>(() => ReadBytes(other));
        Assert.Equal(0, e.Offset);
        Assert.Contains("MCOVFEED", e.Message);

        // A record size that is not 48 + 4n + a padded name.
        byte[] badSize = (byte[])good.Clone();
        badSize[secondRecord] = 49;
        e = await Assert.ThrowsAsync<FeedCorruptException>(() => ReadBytes(badSize));
        Assert.Contains("claims 49 bytes", e.Message);

        // A feed of version 1 is refused, naming both versions.
        byte[] v1 = (byte[])good.Clone();
        v1[8] = 1;
        e = await Assert.ThrowsAsync<FeedCorruptException>(() => ReadBytes(v1));
        Assert.Contains("version 1, this library reads version 2", e.Message);

        // The header alone is a valid, empty feed; an empty stream is not a feed.
        Assert.Empty(await ReadBytes(good[..FeedFormat.HeaderSize]));
        await Assert.ThrowsAsync<FeedCorruptException>(() => ReadBytes([]));
    }

    [Fact]
    public async Task AnInputsName_RoundTrips_AndADamagedNameIsRefused()
    {
        string name = NewName("named");
        NativeMemcov.CreateRegion(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 8));
        using CoverageRegion region = CoverageRegion.Attach(name);
        var pipe = new Pipe();
        var feed = new CoverageFeed(region, pipe.Writer);
        FeedRecord written = await feed.SampleAsync("inputs/naïve-1.ms");
        await feed.SampleAsync();
        await pipe.Writer.CompleteAsync();
        byte[] bytes = System.Buffers.BuffersExtensions.ToArray((await pipe.Reader.ReadAsync()).Buffer);
        var reader = new FeedReader(PipeReader.Create(new MemoryStream(bytes)));
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal("inputs/naïve-1.ms", reader.Current.Input);
        Assert.Equal(written.NewEdges.Length, reader.Current.NewEdges.Length);
        Assert.True(await reader.MoveNextAsync());
        Assert.Null(reader.Current.Input);

        // Not UTF-8 (its checksum made right again), then a name longer than a record carries.
        int nameAt = FeedFormat.HeaderSize + FeedFormat.EdgesOffset + (4 * written.NewEdges.Length);
        int size = BitConverter.ToInt32(bytes, FeedFormat.HeaderSize);
        byte[] bad = (byte[])bytes.Clone();
        bad[nameAt] = 0xFF;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bad.AsSpan(FeedFormat.HeaderSize + size - 8),
            Fnv1a64.Hash(bad.AsSpan(FeedFormat.HeaderSize, size - 8)));
        var e = await Assert.ThrowsAsync<FeedCorruptException>(() => ReadBytes(bad));
        Assert.Contains("not UTF-8", e.Message);
        await Assert.ThrowsAsync<ArgumentException>(async () => await feed.SampleAsync(new string('x', FeedFormat.MaxInputBytes + 1)));
    }

    private static async Task<List<Sampled>> ReadBytes(byte[] bytes) =>
        await ReadAll(PipeReader.Create(new MemoryStream(bytes)));
}
