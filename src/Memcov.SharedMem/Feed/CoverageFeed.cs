using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

/// <summary>
/// Samples a region and writes what it sees to a <see cref="PipeWriter"/> in the feed format
/// (<see cref="FeedFormat"/>): the time, the edges covered and the slots hit for the first time
/// since the previous sample. <see cref="FeedReader"/> reads it back.
/// </summary>
/// <remarks>
/// The feed keeps one byte per slot of what it has seen, so a slot is reported once even when a
/// reset clears it and a process hits it again. Not thread-safe: one sampler per feed.
/// </remarks>
public sealed class CoverageFeed
{
    private readonly CoverageRegion _region;
    private readonly PipeWriter _output;
    private readonly TimeProvider _time;
    private readonly long _start;
    private uint[] _newEdges = new uint[1024];
    private int _newCount;
    private const int SeenChunk = 1 << 30;
    private readonly List<byte[]> _seen = [];
    private bool _headerWritten;

    /// <summary>Creates a feed of <paramref name="region"/> into <paramref name="output"/>.</summary>
    /// <param name="region">The region to sample; the caller keeps it attached while the feed runs.</param>
    /// <param name="output">Where the records go; the caller completes it.</param>
    /// <param name="time">The clock; <see cref="TimeProvider.System"/> when null.</param>
    public CoverageFeed(CoverageRegion region, PipeWriter output, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(region);
        ArgumentNullException.ThrowIfNull(output);
        _region = region;
        _output = output;
        _time = time ?? TimeProvider.System;
        _start = _time.GetTimestamp();
        StartedAt = _time.GetUtcNow();
    }

    /// <summary>When the feed started: its records' times count from here.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Slots seen hit by this feed so far.</summary>
    public long SeenEdges { get; private set; }

    /// <summary>Samples the region once and writes the record (several when very many edges are new).</summary>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns>
    /// What was written; its <see cref="FeedRecord.NewEdges"/> is valid until the next call.
    /// </returns>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public ValueTask<FeedRecord> SampleAsync(CancellationToken cancellationToken = default) => SampleAsync(null, cancellationToken);

    /// <summary>
    /// Samples the region now and writes a record naming <paramref name="input"/> as the one whose
    /// run reached the new edges (the caller makes sure nothing else added any since the last sample).
    /// </summary>
    /// <param name="input">The input's name (at most <see cref="FeedFormat.MaxInputBytes"/> UTF-8 bytes), or null.</param>
    /// <param name="cancellationToken">Cancels the flush.</param>
    /// <returns>The record written (its new edges valid until the next sample).</returns>
    /// <exception cref="ArgumentException">The name is longer than a record carries.</exception>
    public async ValueTask<FeedRecord> SampleAsync(string? input, CancellationToken cancellationToken = default)
    {
        if (input is not null && System.Text.Encoding.UTF8.GetByteCount(input) > FeedFormat.MaxInputBytes)
        {
            throw new ArgumentException($"An input name in a feed is at most {FeedFormat.MaxInputBytes} UTF-8 bytes.", nameof(input));
        }

        FeedRecord record = Sample(input);
        WriteRecords(record);
        FlushResult flushed = await _output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (flushed.IsCanceled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        return record;
    }

    /// <summary>
    /// Samples every <paramref name="interval"/> until <paramref name="cancellationToken"/> fires,
    /// then writes one last sample so the feed ends with the final state.
    /// </summary>
    /// <param name="interval">Time between samples.</param>
    /// <param name="cancellationToken">Stops the loop; cancellation is the normal end, not an error.</param>
    /// <returns>A task that ends after the last sample was flushed.</returns>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval, _time);
        try
        {
            // Only the wait is cancelled, never a flush: a flush cancelled half way leaves the writer
            // reporting its next flush as cancelled, and the last sample would be lost.
            do
            {
                await SampleAsync(CancellationToken.None).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }

        await SampleAsync(CancellationToken.None).ConfigureAwait(false);
    }

    private FeedRecord Sample(string? input)
    {
        // In chunks, so a map of up to 2^32 slots never needs one span or one array; the lanes first.
        _region.FoldLanes();
        long allocated = _region.AllocCursor;
        _region.FaultAhead(allocated);
        long covered = 0;
        _newCount = 0;
        for (long first = 0; first < allocated; first += SeenChunk)
        {
            int length = (int)Math.Min(SeenChunk, allocated - first);
            ReadOnlySpan<byte> map = _region.GetWritableSlots(first, length);
            int chunk = (int)(first / SeenChunk);
            if (_seen.Count == chunk)
            {
                _seen.Add([]);
            }

            byte[] seen = _seen[chunk];
            if (seen.Length < length)
            {
                Array.Resize(ref seen, length);
                _seen[chunk] = seen;
            }

            CollectNew(map, seen, first);
            covered += CoverageMap.CountCovered(map);
        }

        SeenEdges += _newCount;
        TimeSpan elapsed = _time.GetElapsedTime(_start);
        return new FeedRecord(elapsed, covered, allocated, _newEdges.AsMemory(0, _newCount), input);
    }

    /// <summary>Adds the slots set in <paramref name="map"/> and not seen yet to the new edges, marking them seen (0xFF).</summary>
    private void CollectNew(ReadOnlySpan<byte> map, Span<byte> seen, long first)
    {
        // Seen bytes are 0 or 0xFF, so map & ~seen is zero exactly where nothing is new: most words skip.
        seen = seen[..map.Length];
        ReadOnlySpan<ulong> mapWords = MemoryMarshal.Cast<byte, ulong>(map);
        ReadOnlySpan<ulong> seenWords = MemoryMarshal.Cast<byte, ulong>(seen);
        for (int w = 0; w < mapWords.Length; w++)
        {
            if ((mapWords[w] & ~seenWords[w]) != 0)
            {
                ScanBytes(map, seen, w * 8, (w * 8) + 8, first);
            }
        }

        ScanBytes(map, seen, mapWords.Length * 8, map.Length, first);
    }

    private void ScanBytes(ReadOnlySpan<byte> map, Span<byte> seen, int from, int to, long first)
    {
        for (int i = from; i < to; i++)
        {
            if (map[i] != 0 && seen[i] == 0)
            {
                seen[i] = 0xFF;
                if (_newCount == _newEdges.Length)
                {
                    Array.Resize(ref _newEdges, _newEdges.Length * 2);
                }

                _newEdges[_newCount++] = (uint)(first + i);
            }
        }
    }

    private void WriteRecords(in FeedRecord record)
    {
        if (!_headerWritten)
        {
            Span<byte> h = _output.GetSpan(FeedFormat.HeaderSize)[..FeedFormat.HeaderSize];
            FeedFormat.MagicBytes.CopyTo(h);
            BinaryPrimitives.WriteUInt32LittleEndian(h[8..], FeedFormat.Version);
            BinaryPrimitives.WriteUInt32LittleEndian(h[12..], FeedFormat.HeaderSize);
            BinaryPrimitives.WriteInt64LittleEndian(h[16..], (StartedAt - DateTimeOffset.UnixEpoch).Ticks * 100);
            BinaryPrimitives.WriteInt64LittleEndian(h[24..], _region.CapacityEdges);
            _output.Advance(FeedFormat.HeaderSize);
            _headerWritten = true;
        }

        ReadOnlySpan<uint> all = record.NewEdges.Span;
        // The input's name goes with the first chunk of its edges.
        byte[] name = record.Input is null ? [] : System.Text.Encoding.UTF8.GetBytes(record.Input);
        do
        {
            ReadOnlySpan<uint> chunk = all[..Math.Min(all.Length, FeedFormat.MaxNewEdgesPerRecord)];
            all = all[chunk.Length..];
            int edgeBytes = 4 * chunk.Length;
            int size = FeedFormat.MinRecordSize + edgeBytes + FeedFormat.PaddedInputBytes(name.Length);
            Span<byte> r = _output.GetSpan(size)[..size];
            r.Clear();
            BinaryPrimitives.WriteInt32LittleEndian(r, size);
            BinaryPrimitives.WriteInt32LittleEndian(r[4..], chunk.Length);
            BinaryPrimitives.WriteInt64LittleEndian(r[8..], record.Elapsed.Ticks * 100);
            BinaryPrimitives.WriteInt64LittleEndian(r[16..], record.Covered);
            BinaryPrimitives.WriteInt64LittleEndian(r[24..], record.Allocated);
            BinaryPrimitives.WriteInt32LittleEndian(r[32..], name.Length);
            Span<byte> ids = r.Slice(FeedFormat.EdgesOffset, edgeBytes);
            if (BitConverter.IsLittleEndian)
            {
                MemoryMarshal.AsBytes(chunk).CopyTo(ids);
            }
            else
            {
                for (int i = 0; i < chunk.Length; i++)
                {
                    BinaryPrimitives.WriteUInt32LittleEndian(ids[(4 * i)..], chunk[i]);
                }
            }

            name.CopyTo(r[(FeedFormat.EdgesOffset + edgeBytes)..]);
            name = [];
            BinaryPrimitives.WriteUInt64LittleEndian(r[(size - 8)..], Fnv1a64.Hash(r[..(size - 8)]));
            _output.Advance(size);
        }
        while (!all.IsEmpty);
    }
}
