using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;

namespace Memcov.SharedMem;

/// <summary>
/// Reads a coverage feed (<see cref="FeedFormat"/>) from a <see cref="PipeReader"/>, one record per
/// <see cref="MoveNextAsync"/>, reusing one buffer for the new edges: no allocation per record.
/// </summary>
/// <remarks>
/// Every record is checked (size, counts, order of times and slots, checksum) before it is returned;
/// the first bad byte raises <see cref="FeedCorruptException"/> with its offset.
/// </remarks>
public sealed class FeedReader
{
    private static readonly System.Text.UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly PipeReader _input;
    private uint[] _edges = new uint[1024];
    private byte[] _spanning = new byte[FeedFormat.MinRecordSize + 4096];
    private long _offset;
    private bool _headerRead;
    private long _lastElapsedNs;

    /// <summary>Creates a reader of <paramref name="input"/>; the caller completes it.</summary>
    /// <param name="input">The feed's bytes.</param>
    public FeedReader(PipeReader input)
    {
        ArgumentNullException.ThrowIfNull(input);
        _input = input;
    }

    /// <summary>When the feed started; known after the first <see cref="MoveNextAsync"/>.</summary>
    public DateTimeOffset StartedAt { get; private set; }

    /// <summary>The capacity in edges of the region the feed sampled; known after the first <see cref="MoveNextAsync"/>.</summary>
    public long CapacityEdges { get; private set; }

    /// <summary>The record read last; its <see cref="FeedRecord.NewEdges"/> is valid until the next read.</summary>
    public FeedRecord Current { get; private set; }

    /// <summary>Reads the next record into <see cref="Current"/>.</summary>
    /// <param name="cancellationToken">Cancels the wait for data.</param>
    /// <returns><see langword="false"/> at the clean end of the feed.</returns>
    /// <exception cref="FeedCorruptException">The feed is not in the format, or is cut or damaged.</exception>
    public async ValueTask<bool> MoveNextAsync(CancellationToken cancellationToken = default)
    {
        ReadOnlySequence<byte> buffer;
        if (!_headerRead)
        {
            buffer = await ReadAtLeastAsync(FeedFormat.HeaderSize, allowEnd: false, cancellationToken).ConfigureAwait(false);
            try
            {
                ParseHeader(buffer.Slice(0, FeedFormat.HeaderSize));
            }
            finally
            {
                _input.AdvanceTo(buffer.GetPosition(FeedFormat.HeaderSize));
            }

            _offset = FeedFormat.HeaderSize;
            _headerRead = true;
        }

        // Peek at the size, consuming nothing, then wait for the whole record.
        buffer = await ReadAtLeastAsync(4, allowEnd: true, cancellationToken).ConfigureAwait(false);
        _input.AdvanceTo(buffer.Start);
        if (buffer.IsEmpty)
        {
            return false;
        }

        int size = ReadInt32(buffer);
        if (size < FeedFormat.MinRecordSize || size > FeedFormat.MaxRecordSize || (size - FeedFormat.MinRecordSize) % 4 != 0)
        {
            throw new FeedCorruptException(_offset,
                $"a record claims {size} bytes, expected 48 + 4·n with n ≤ {FeedFormat.MaxNewEdgesPerRecord}, and an input's name of at most {FeedFormat.MaxInputBytes} bytes padded to 4");
        }

        buffer = await ReadAtLeastAsync(size, allowEnd: false, cancellationToken).ConfigureAwait(false);
        try
        {
            Current = ParseRecord(buffer.Slice(0, size), size);
        }
        finally
        {
            _input.AdvanceTo(buffer.GetPosition(size));
        }

        _offset += size;
        return true;
    }

    private void ParseHeader(ReadOnlySequence<byte> sequence)
    {
        Span<byte> h = stackalloc byte[FeedFormat.HeaderSize];
        sequence.CopyTo(h);
        if (!h[..8].SequenceEqual(FeedFormat.MagicBytes))
        {
            throw new FeedCorruptException(0, $"the magic is {Convert.ToHexString(h[..8])}, expected \"{FeedFormat.Magic}\"");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
        if (version != FeedFormat.Version)
        {
            throw new FeedCorruptException(8, $"the feed has version {version}, this library reads version {FeedFormat.Version} only");
        }

        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(h[12..]);
        long startNs = BinaryPrimitives.ReadInt64LittleEndian(h[16..]);
        long capacity = BinaryPrimitives.ReadInt64LittleEndian(h[24..]);
        if (headerSize != FeedFormat.HeaderSize || startNs < 0 || capacity <= 0 || capacity > RegionFormat.MaxCapacity)
        {
            throw new FeedCorruptException(12, $"the header has size {headerSize}, start {startNs} ns and capacity {capacity}, expected 32, a time after 1970 and 1 to 2^32 edges");
        }

        StartedAt = DateTimeOffset.UnixEpoch.AddTicks(startNs / 100);
        CapacityEdges = capacity;
    }

    private FeedRecord ParseRecord(ReadOnlySequence<byte> sequence, int size)
    {
        // One contiguous copy when the record spans segments, into a buffer the reader keeps (a shared
        // pool may allocate on any rent); a record is checked before it is used.
        ReadOnlySpan<byte> r;
        if (sequence.IsSingleSegment)
        {
            r = sequence.FirstSpan;
        }
        else
        {
            if (_spanning.Length < size)
            {
                _spanning = new byte[Math.Max(size, _spanning.Length * 2)];
            }

            sequence.CopyTo(_spanning);
            r = _spanning.AsSpan(0, size);
        }

        ulong expected = BinaryPrimitives.ReadUInt64LittleEndian(r[(size - 8)..]);
        if (Fnv1a64.Hash(r[..(size - 8)]) != expected)
        {
            throw new FeedCorruptException(_offset, "the record's checksum does not match its bytes");
        }

        int count = BinaryPrimitives.ReadInt32LittleEndian(r[4..]);
        long elapsedNs = BinaryPrimitives.ReadInt64LittleEndian(r[8..]);
        long covered = BinaryPrimitives.ReadInt64LittleEndian(r[16..]);
        long allocated = BinaryPrimitives.ReadInt64LittleEndian(r[24..]);
        int nameBytes = BinaryPrimitives.ReadInt32LittleEndian(r[32..]);
        int reserved = BinaryPrimitives.ReadInt32LittleEndian(r[36..]);
        if (count < 0 || count > FeedFormat.MaxNewEdgesPerRecord || nameBytes < 0 || nameBytes > FeedFormat.MaxInputBytes || reserved != 0
            || size != FeedFormat.MinRecordSize + (4 * count) + FeedFormat.PaddedInputBytes(nameBytes) || elapsedNs < _lastElapsedNs
            || allocated < 0 || allocated > CapacityEdges || covered < 0 || covered > allocated)
        {
            throw new FeedCorruptException(_offset,
                $"the record has {count} new edges and a name of {nameBytes} bytes in {size} bytes (field at 36: {reserved}), time {elapsedNs} ns after {_lastElapsedNs} ns, {covered} covered of {allocated} allocated slots");
        }

        string? input = null;
        if (nameBytes > 0)
        {
            int at = FeedFormat.EdgesOffset + (4 * count);
            ReadOnlySpan<byte> padded = r[at..(size - 8)];
            if (padded[nameBytes..].ContainsAnyExcept((byte)0))
            {
                throw new FeedCorruptException(_offset + at + nameBytes, "the input's name is not padded with zeros");
            }

            try
            {
                input = Strict.GetString(padded[..nameBytes]);
            }
            catch (System.Text.DecoderFallbackException)
            {
                throw new FeedCorruptException(_offset + at, "the input's name is not UTF-8");
            }
        }

        if (_edges.Length < count)
        {
            _edges = new uint[Math.Max(count, _edges.Length * 2)];
        }

        uint previous = 0;
        for (int i = 0; i < count; i++)
        {
            uint slot = BinaryPrimitives.ReadUInt32LittleEndian(r[(FeedFormat.EdgesOffset + (4 * i))..]);
            if (slot >= allocated || (i > 0 && slot <= previous))
            {
                throw new FeedCorruptException(_offset + FeedFormat.EdgesOffset + (4 * i), $"new edge {slot} is not ascending below the {allocated} allocated slots");
            }

            _edges[i] = previous = slot;
        }

        _lastElapsedNs = elapsedNs;
        return new FeedRecord(TimeSpan.FromTicks(elapsedNs / 100), covered, allocated, _edges.AsMemory(0, count), input);
    }

    private async ValueTask<ReadOnlySequence<byte>> ReadAtLeastAsync(int count, bool allowEnd, CancellationToken cancellationToken)
    {
        ReadResult result = await _input.ReadAtLeastAsync(count, cancellationToken).ConfigureAwait(false);
        if (result.IsCanceled)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        ReadOnlySequence<byte> buffer = result.Buffer;
        if (buffer.Length >= count)
        {
            return buffer;
        }

        // Completed with less than asked: a clean end only between records.
        if (allowEnd && buffer.IsEmpty)
        {
            return buffer;
        }

        long have = buffer.Length; // the buffer is not to be read once it is advanced past
        _input.AdvanceTo(buffer.End);
        throw new FeedCorruptException(_offset, $"the feed ends after {have} of the {count} bytes of a {(_headerRead ? "record" : "header")}");
    }

    private static int ReadInt32(ReadOnlySequence<byte> sequence)
    {
        Span<byte> b = stackalloc byte[4];
        sequence.Slice(0, 4).CopyTo(b);
        return BinaryPrimitives.ReadInt32LittleEndian(b);
    }
}
