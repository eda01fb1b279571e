using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Memcov.SharedMem;

/// <summary>
/// A coverage region that processes share by name: a file <c>memcov-NAME</c> in
/// <c>$MEMCOV_SHM_DIR</c> (default <c>/dev/shm</c>) holding a header, a module table and a map with
/// one byte per edge (docs/region-format.md).
/// </summary>
/// <remarks>
/// Attach validates the header exactly as the C runtime does and maps the file shared. Every
/// member reads the live mapping: other processes may add modules and hits at any moment. Members
/// are safe to call from several threads, but not at the same time as <see cref="Dispose"/>.
/// </remarks>
public sealed class CoverageRegion : IDisposable
{
    private const long AlignMask = RegionFormat.EdgeAlign - 1;
    private const int AllocCursorOffset = 64;
    private const int EdgesDroppedOffset = 80;
    private const int ModulesPrivateOffset = 88;
    private const int ModuleCountOffset = 92;

    private readonly RegionView _view;
    private readonly long _mapOffset;
    private readonly int _moduleBound;
    private bool _disposed;

    private CoverageRegion(string name, string path, RegionView view, in RegionHeader header)
    {
        Name = name;
        Path = path;
        _view = view;
        Version = (int)header.Version;
        CapacityEdges = (long)header.CapacityEdges;
        _mapOffset = (long)header.MapOffset;
        ulong tableRoom = (header.MapOffset - header.ModuleTableOffset) / RegionFormat.ModuleEntrySize;
        _moduleBound = (int)Math.Min(header.ModuleCapacity, tableRoom);
    }

    /// <summary>The region name.</summary>
    public string Name { get; }

    /// <summary>The region file.</summary>
    public string Path { get; }

    /// <summary>The format version of the region: always <see cref="RegionFormat.Version"/>.</summary>
    public int Version { get; }

    /// <summary>Edge slots (bytes) of the map; a multiple of 4096, at most 2^32.</summary>
    public long CapacityEdges { get; }

    /// <summary>
    /// Edge slots handed out to modules: <c>alloc_cursor</c>, acquire-loaded, rounded down to 4096 and
    /// bounded by <see cref="CapacityEdges"/>, so it never points past the map.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public long AllocCursor
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ulong cursor = _view.ReadUInt64Acquire(AllocCursorOffset) & ~(ulong)AlignMask;
            return (long)Math.Min(cursor, (ulong)CapacityEdges);
        }
    }

    /// <summary>
    /// Published module entries: <c>module_count</c>, acquire-loaded and bounded by the table's
    /// capacity and by the room between the table and the map.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public int ModuleCount
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return (int)Math.Min(_view.ReadUInt32Acquire(ModuleCountOffset), (uint)_moduleBound);
        }
    }

    /// <summary>Edges of modules that did not fit, summed over every process (never checked, only reported).</summary>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public ulong EdgesDropped
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _view.ReadUInt64Acquire(EdgesDroppedOffset);
        }
    }

    /// <summary>Module registrations that did not fit and recorded privately, summed over every process.</summary>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public uint ModulesPrivate
    {
        get
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return _view.ReadUInt32Acquire(ModulesPrivateOffset);
        }
    }

    /// <summary>The map's bytes [0, <see cref="AllocCursor"/>): one byte per edge slot, non-zero once hit.</summary>
    /// <remarks>
    /// The span reads the live mapping, so hits from other processes appear in it, possibly late. It
    /// is valid only until <see cref="Dispose"/>: do not keep it past that.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    /// <exception cref="InvalidOperationException">
    /// More than <see cref="int.MaxValue"/> slots are allocated; use <see cref="CountCovered"/>.
    /// </exception>
    public ReadOnlySpan<byte> Map
    {
        get
        {
            long cursor = AllocCursor;
            if (cursor > int.MaxValue)
            {
                throw new InvalidOperationException(
                    $"Region '{Name}' has {cursor} allocated edge slots, more than one span can hold; " +
                    "use CountCovered() for its size.");
            }

            return _view.GetSpan(_mapOffset, (int)cursor);
        }
    }

    /// <summary>Counts the edge slots in [0, <see cref="AllocCursor"/>) that are set.</summary>
    /// <returns>The number of covered edges in the region right now.</returns>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public long CountCovered() => _view.CountNonZero(_mapOffset, AllocCursor);

    /// <summary>Tells whether a regular file exists for region <paramref name="name"/> (a symlink does not count).</summary>
    /// <param name="name">The region name.</param>
    /// <returns><see langword="true"/> if the region file exists.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rule.</exception>
    public static bool Exists(string name)
    {
        string path = RegionName.GetPath(name);
        EnsureLinux();
        int rc = Interop.Libc.Statx(
            Interop.Libc.AT_FDCWD, path, Interop.Libc.AT_SYMLINK_NOFOLLOW, Interop.Libc.STATX_BASIC_STATS,
            out Interop.Libc.StatxBuffer st);
        return rc == 0 && (st.Mode & Interop.Libc.S_IFMT) == Interop.Libc.S_IFREG;
    }

    /// <summary>Removes region <paramref name="name"/>'s file. Processes that mapped it keep their mapping.</summary>
    /// <param name="name">The region name.</param>
    /// <returns><see langword="true"/> if the file was removed; <see langword="false"/> if there was none.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rule.</exception>
    /// <exception cref="UnauthorizedAccessException">This user may not remove the file.</exception>
    /// <exception cref="IOException">unlink failed for another reason.</exception>
    public static bool Remove(string name)
    {
        string path = RegionName.GetPath(name);
        EnsureLinux();
        if (Interop.Libc.Unlink(path) == 0)
        {
            return true;
        }

        int errno = Marshal.GetLastPInvokeError();
        if (errno == Interop.Libc.ENOENT)
        {
            return false;
        }

        if (errno is Interop.Libc.EACCES or Interop.Libc.EPERM)
        {
            ThrowHelper.ThrowPermission(path, "this user may not remove it");
        }

        ThrowHelper.ThrowSystem(path, "unlink", errno);
        return false;
    }

    /// <summary>
    /// Opens region <paramref name="name"/>, validates its header with the checks of
    /// docs/region-format.md in their order, and maps it.
    /// </summary>
    /// <param name="name">The region name.</param>
    /// <returns>The attached region; dispose it to unmap.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rule, or the path is too long.</exception>
    /// <exception cref="RegionNotFoundException">No region file exists under the name.</exception>
    /// <exception cref="UnauthorizedAccessException">
    /// The path is a symlink or not a regular file, another user owns it, or it may not be opened.
    /// </exception>
    /// <exception cref="RegionFormatException">The file has a format version other than 1.</exception>
    /// <exception cref="RegionCorruptException">The header fails a check.</exception>
    /// <exception cref="IOException">A system call failed otherwise.</exception>
    /// <exception cref="PlatformNotSupportedException">The OS is not Linux.</exception>
    public static CoverageRegion Attach(string name)
    {
        string path = RegionName.GetPath(name); // check 1
        EnsureLinux();
        SafeFileHandle handle = OpenNoFollow(name, path); // check 2
        try
        {
            // Checks 3-5: fstat, regular file, owned by the effective user.
            if (Interop.Libc.Statx((int)handle.DangerousGetHandle(), string.Empty, Interop.Libc.AT_EMPTY_PATH,
                    Interop.Libc.STATX_BASIC_STATS, out Interop.Libc.StatxBuffer st) != 0)
            {
                ThrowHelper.ThrowSystem(path, "fstat", Marshal.GetLastPInvokeError());
            }

            if ((st.Mode & Interop.Libc.S_IFMT) != Interop.Libc.S_IFREG)
            {
                ThrowHelper.ThrowPermission(path, "it is not a regular file");
            }

            uint euid = Interop.Libc.GetEUid();
            if (st.Uid != euid)
            {
                ThrowHelper.ThrowPermission(path, $"it is owned by uid {st.Uid}, not by this user (uid {euid})");
            }

            // Check 6: the full header can be read.
            Span<byte> raw = stackalloc byte[RegionFormat.HeaderSize];
            if (st.Size < RegionFormat.HeaderSize || ReadFully(handle, raw) < RegionFormat.HeaderSize)
            {
                ThrowHelper.ThrowCorrupt(path, $"the file has {st.Size} bytes, fewer than the {RegionFormat.HeaderSize}-byte header");
            }

            RegionHeader header = MemoryMarshal.Read<RegionHeader>(raw);
            ValidateHeader(path, raw, header, st.Size); // checks 7-16

            // Check 17: map map_offset + capacity_edges bytes, shared and writable.
            RegionView view = RegionView.Map(handle, (long)(header.MapOffset + header.CapacityEdges));
            return new CoverageRegion(name, path, view, header);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Unmaps the region. The file stays; other processes are not affected.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            _view.Dispose();
        }
    }

    private static void ValidateHeader(string path, ReadOnlySpan<byte> raw, in RegionHeader h, ulong fileSize)
    {
        const ulong Align = RegionFormat.EdgeAlign;
        const ulong MaxCapacity = RegionFormat.MaxCapacity;

        if (!raw[..RegionFormat.MagicBytes.Length].SequenceEqual(RegionFormat.MagicBytes))
        {
            ThrowHelper.ThrowCorrupt(path, $"the magic is {Convert.ToHexString(raw[..8])}, expected \"{RegionFormat.Magic}\"");
        }

        if (h.Version != RegionFormat.Version)
        {
            throw new RegionFormatException(path, RegionFormat.Version, h.Version);
        }

        if (h.HeaderSize != RegionFormat.HeaderSize)
        {
            ThrowHelper.ThrowCorrupt(path, $"header_size is {h.HeaderSize}, expected {RegionFormat.HeaderSize}");
        }

        if (h.MapOffset % Align != 0 || h.MapOffset < RegionFormat.MinMapOffset || h.MapOffset > MaxCapacity)
        {
            ThrowHelper.ThrowCorrupt(path, $"map_offset is {h.MapOffset}, expected a multiple of {Align} from {RegionFormat.MinMapOffset} to 2^32");
        }

        if (h.ModuleTableOffset < h.HeaderSize || h.ModuleTableOffset % 8 != 0 || h.ModuleTableOffset > h.MapOffset)
        {
            ThrowHelper.ThrowCorrupt(path, $"module_table_offset is {h.ModuleTableOffset}, expected a multiple of 8 from {h.HeaderSize} to map_offset {h.MapOffset}");
        }

        if (h.ModuleCapacity < 1 || h.ModuleCapacity > RegionFormat.MaxModuleCapacity
            || (h.MapOffset - h.ModuleTableOffset) / RegionFormat.ModuleEntrySize < h.ModuleCapacity)
        {
            ThrowHelper.ThrowCorrupt(path, $"module_capacity is {h.ModuleCapacity}, expected 1 to {RegionFormat.MaxModuleCapacity} entries that fit before the map");
        }

        if (h.CapacityEdges == 0 || h.CapacityEdges % Align != 0 || h.CapacityEdges > MaxCapacity)
        {
            ThrowHelper.ThrowCorrupt(path, $"capacity_edges is {h.CapacityEdges}, expected a non-zero multiple of {Align} up to 2^32");
        }

        if (h.MapOffset + h.CapacityEdges > fileSize)
        {
            ThrowHelper.ThrowCorrupt(path, $"the file has {fileSize} bytes, expected at least {h.MapOffset + h.CapacityEdges} (it is truncated)");
        }

        if (h.AllocCursor > h.CapacityEdges || h.AllocCursor % Align != 0)
        {
            ThrowHelper.ThrowCorrupt(path, $"alloc_cursor is {h.AllocCursor}, expected a multiple of {Align} up to capacity_edges {h.CapacityEdges}");
        }

        if (h.ModuleCount > h.ModuleCapacity)
        {
            ThrowHelper.ThrowCorrupt(path, $"module_count is {h.ModuleCount}, more than module_capacity {h.ModuleCapacity}");
        }
    }

    private static SafeFileHandle OpenNoFollow(string name, string path)
    {
        int fd = Interop.Libc.Open(path, Interop.Libc.O_RDWR | Interop.Libc.O_NOFOLLOW | Interop.Libc.O_CLOEXEC);
        if (fd >= 0)
        {
            return new SafeFileHandle(fd, ownsHandle: true);
        }

        int errno = Marshal.GetLastPInvokeError();
        switch (errno)
        {
            case Interop.Libc.ENOENT:
                throw new RegionNotFoundException(name, path);
            case Interop.Libc.ELOOP:
                ThrowHelper.ThrowPermission(path, "it is a symlink, which a region never is");
                break;
            case Interop.Libc.EACCES or Interop.Libc.EPERM:
                ThrowHelper.ThrowPermission(path, "this user may not open it for reading and writing");
                break;
        }

        ThrowHelper.ThrowSystem(path, "open", errno);
        return null;
    }

    private static int ReadFully(SafeFileHandle handle, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer[total..], total);
            if (n == 0)
            {
                break;
            }

            total += n;
        }

        return total;
    }

    private static void EnsureLinux()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException(
                "Memcov regions are files in /dev/shm shared through mmap, which this slice supports on Linux only.");
        }
    }
}
