namespace Memcov.SharedMem;

/// <summary>
/// The one place that holds a raw pointer into a region's mapping. libmemcov made the mapping
/// (<see cref="RegionFileHandle"/>); this view keeps the handle alive with
/// <c>DangerousAddRef</c> while it hands out spans, and releases it in <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// Callers pass offsets they have bounded against the validated facts; the members only assert
/// them. Not safe to dispose while another thread reads.
/// </remarks>
internal sealed unsafe class RegionView : IDisposable
{
    private readonly RegionFileHandle _handle;
    private readonly bool _addedRef;
    private byte* _pointer;

    /// <param name="handle">The open region; the view owns it from now on.</param>
    /// <param name="address">The mapping's first byte (the facts' base).</param>
    /// <param name="length">Bytes mapped: <c>map_offset + capacity_edges</c>.</param>
    internal RegionView(RegionFileHandle handle, nint address, long length)
    {
        _handle = handle;
        bool added = false;
        handle.DangerousAddRef(ref added);
        _addedRef = added;
        _pointer = (byte*)address;
        Length = length;
    }

    /// <summary>Bytes mapped, from offset 0 of the file.</summary>
    internal long Length { get; }

    /// <summary>The open region, for libmemcov's calls on it.</summary>
    internal RegionFileHandle Handle => _handle;

    /// <summary>The mapped bytes [offset, offset + length), valid until <see cref="Dispose"/>.</summary>
    internal ReadOnlySpan<byte> GetSpan(long offset, int length)
    {
        System.Diagnostics.Debug.Assert(_pointer != null && offset >= 0 && length >= 0 && offset + length <= Length);
        return new ReadOnlySpan<byte>(_pointer + offset, length);
    }

    /// <summary>The mapped bytes [offset, offset + length) as a writable span, valid until <see cref="Dispose"/>.</summary>
    internal Span<byte> GetWritableSpan(long offset, int length)
    {
        System.Diagnostics.Debug.Assert(_pointer != null && offset >= 0 && length >= 0 && offset + length <= Length);
        return new Span<byte>(_pointer + offset, length);
    }

    /// <summary>Counts the bytes in [offset, offset + length) that are not zero, with plain loads.</summary>
    internal long CountNonZero(long offset, long length)
    {
        System.Diagnostics.Debug.Assert(_pointer != null && offset >= 0 && length >= 0 && offset + length <= Length);

        // Spans hold at most int.MaxValue bytes and a map holds up to 2^32: count in chunks.
        const int Chunk = 1 << 30;
        long covered = 0;
        for (long done = 0; done < length; done += Chunk)
        {
            int size = (int)Math.Min(Chunk, length - done);
            covered += CoverageMap.CountCovered(new ReadOnlySpan<byte>(_pointer + offset + done, size));
        }

        return covered;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_pointer == null)
        {
            return;
        }

        _pointer = null;
        if (_addedRef)
        {
            _handle.DangerousRelease();
        }

        _handle.Dispose();
    }
}
