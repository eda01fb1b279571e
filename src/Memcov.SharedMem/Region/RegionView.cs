using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.IO.MemoryMappedFiles;
using Microsoft.Win32.SafeHandles;

namespace Memcov.SharedMem;

/// <summary>
/// The mapping of one region file and the one place that holds a raw pointer into it. The pointer
/// is taken from the view's <see cref="SafeMemoryMappedViewHandle"/> with
/// <c>AcquirePointer</c> when the view is made and given back with <c>ReleasePointer</c> in
/// <see cref="Dispose"/>.
/// </summary>
/// <remarks>
/// Callers pass offsets they have bounded against the validated header; the members only assert
/// them. Not safe to dispose while another thread reads.
/// </remarks>
internal sealed unsafe class RegionView : IDisposable
{
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _accessor;
    private byte* _pointer;

    private RegionView(MemoryMappedFile file, MemoryMappedViewAccessor accessor, long length)
    {
        _file = file;
        _accessor = accessor;
        byte* pointer = null;
        accessor.SafeMemoryMappedViewHandle.AcquirePointer(ref pointer);
        _pointer = pointer + accessor.PointerOffset;
        Length = length;
    }

    /// <summary>Bytes mapped, from offset 0 of the file.</summary>
    internal long Length { get; }

    /// <summary>Maps the first <paramref name="length"/> bytes of the open region file, shared and writable.</summary>
    /// <param name="handle">The open file; the view owns it from now on, on success or failure.</param>
    /// <param name="length">Bytes to map: <c>map_offset + capacity_edges</c>, at most the file size.</param>
    /// <returns>The view.</returns>
    internal static RegionView Map(SafeFileHandle handle, long length)
    {
        // A region is a file that other processes open by path, so it is mapped with CreateFromFile.
        // MemoryMappedFile.CreateNew(name, ...) would not do: named maps are not supported on Linux
        // (PlatformNotSupportedException), and they would not be files that C and Python can open.
        MemoryMappedFile file;
        try
        {
            file = MemoryMappedFile.CreateFromFile(
                handle, mapName: null, length, MemoryMappedFileAccess.ReadWrite, HandleInheritability.None, leaveOpen: false);
        }
        catch
        {
            handle.Dispose();
            throw;
        }

        return FromFile(file, length);
    }

    /// <summary>Maps the first <paramref name="length"/> bytes of an open mapping, shared and writable.</summary>
    /// <param name="file">The mapping; the view owns it from now on, on success or failure.</param>
    /// <param name="length">Bytes to map, at most the mapping's size.</param>
    /// <returns>The view.</returns>
    internal static RegionView FromFile(MemoryMappedFile file, long length)
    {
        MemoryMappedViewAccessor? accessor = null;
        try
        {
            accessor = file.CreateViewAccessor(0, length, MemoryMappedFileAccess.ReadWrite);
            return new RegionView(file, accessor, length);
        }
        catch
        {
            accessor?.Dispose();
            file.Dispose();
            throw;
        }
    }

    /// <summary>An acquire load of the u64 at <paramref name="offset"/> (8-byte aligned).</summary>
    internal ulong ReadUInt64Acquire(long offset)
    {
        Debug.Assert(_pointer != null && offset >= 0 && offset + sizeof(ulong) <= Length && offset % 8 == 0);
        return Volatile.Read(ref *(ulong*)(_pointer + offset));
    }

    /// <summary>An acquire load of the u32 at <paramref name="offset"/> (4-byte aligned).</summary>
    internal uint ReadUInt32Acquire(long offset)
    {
        Debug.Assert(_pointer != null && offset >= 0 && offset + sizeof(uint) <= Length && offset % 4 == 0);
        return Volatile.Read(ref *(uint*)(_pointer + offset));
    }

    /// <summary>A release store of the u64 at <paramref name="offset"/> (8-byte aligned).</summary>
    internal void WriteUInt64Release(long offset, ulong value)
    {
        Debug.Assert(_pointer != null && offset >= 0 && offset + sizeof(ulong) <= Length && offset % 8 == 0);
        Volatile.Write(ref *(ulong*)(_pointer + offset), value);
    }

    /// <summary>A release store of the u32 at <paramref name="offset"/> (4-byte aligned).</summary>
    internal void WriteUInt32Release(long offset, uint value)
    {
        Debug.Assert(_pointer != null && offset >= 0 && offset + sizeof(uint) <= Length && offset % 4 == 0);
        Volatile.Write(ref *(uint*)(_pointer + offset), value);
    }

    /// <summary>An atomic add to the u64 at <paramref name="offset"/> (8-byte aligned).</summary>
    internal void AddUInt64(long offset, ulong value)
    {
        Debug.Assert(_pointer != null && offset >= 0 && offset + sizeof(ulong) <= Length && offset % 8 == 0);
        Interlocked.Add(ref *(ulong*)(_pointer + offset), value);
    }

    /// <summary>Writes a whole module entry at <paramref name="offset"/>.</summary>
    internal void WriteEntry(long offset, in ModuleEntry entry)
    {
        Debug.Assert(_pointer != null && offset >= 0 && offset + sizeof(ModuleEntry) <= Length);
        Unsafe.WriteUnaligned(_pointer + offset, entry);
    }

    /// <summary>The mapped bytes [offset, offset + length), valid until <see cref="Dispose"/>.</summary>
    internal ReadOnlySpan<byte> GetSpan(long offset, int length)
    {
        Debug.Assert(_pointer != null && offset >= 0 && length >= 0 && offset + length <= Length);
        return new ReadOnlySpan<byte>(_pointer + offset, length);
    }

    /// <summary>The mapped bytes [offset, offset + length) as a writable span, valid until <see cref="Dispose"/>.</summary>
    internal Span<byte> GetWritableSpan(long offset, int length)
    {
        Debug.Assert(_pointer != null && offset >= 0 && length >= 0 && offset + length <= Length);
        return new Span<byte>(_pointer + offset, length);
    }

    /// <summary>A copy of the module entry at <paramref name="offset"/>, so it is checked and used as one value.</summary>
    internal ModuleEntry ReadEntry(long offset)
    {
        Debug.Assert(_pointer != null && offset >= 0 && offset + sizeof(ModuleEntry) <= Length);
        return Unsafe.ReadUnaligned<ModuleEntry>(_pointer + offset);
    }

    /// <summary>
    /// Stores zero into every 8-byte word of [offset, offset + length) that is not zero already, so
    /// pages nobody wrote stay clean. <paramref name="offset"/> and <paramref name="length"/> are multiples of 8.
    /// </summary>
    internal void ClearNonZeroWords(long offset, long length)
    {
        Debug.Assert(_pointer != null && offset >= 0 && length >= 0 && offset + length <= Length);
        Debug.Assert(offset % 8 == 0 && length % 8 == 0);
        ulong* words = (ulong*)(_pointer + offset);
        long count = length / 8;
        for (long i = 0; i < count; i++)
        {
            if (Volatile.Read(ref words[i]) != 0)
            {
                Volatile.Write(ref words[i], 0);
            }
        }
    }

    /// <summary>
    /// Reads one byte of each 4 KiB page of [offset, offset + length), so that this process has the
    /// pages mapped from now on and a later read takes no page fault.
    /// </summary>
    internal void TouchPages(long offset, long length)
    {
        Debug.Assert(_pointer != null && offset >= 0 && length >= 0 && offset + length <= Length);
        for (long i = 0; i < length; i += RegionFormat.EdgeAlign)
        {
            _ = Volatile.Read(ref _pointer[offset + i]);
        }
    }

    /// <summary>Counts the bytes in [offset, offset + length) that are not zero, with plain loads.</summary>
    internal long CountNonZero(long offset, long length)
    {
        Debug.Assert(_pointer != null && offset >= 0 && length >= 0 && offset + length <= Length);

        // Spans hold at most int.MaxValue bytes and a map holds up to 2^32: count in chunks.
        const int Chunk = 1 << 30;
        long covered = 0;
        for (long done = 0; done < length; done += Chunk)
        {
            int size = (int)Math.Min(Chunk, length - done);
            var bytes = new ReadOnlySpan<byte>(_pointer + offset + done, size);
            covered += CoverageMap.CountCovered(bytes);
        }

        return covered;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (_pointer != null)
        {
            _pointer = null;
            _accessor.SafeMemoryMappedViewHandle.ReleasePointer();
        }

        _accessor.Dispose();
        _file.Dispose();
    }
}
