using CommunityToolkit.HighPerformance.Buffers;

namespace Memcov.SharedMem;

/// <summary>
/// A coverage region that processes share by name: a file <c>memcov-NAME</c> in
/// <c>$MEMCOV_SHM_DIR</c> (default <c>/dev/shm</c>) holding a header, a module table and a map with
/// one byte per edge (docs/region-format.md).
/// </summary>
/// <remarks>
/// <see cref="Create(string, long)"/> and <see cref="Attach"/> go through libmemcov (native/include/memcov_files.h),
/// which validates the file with the rules of docs/region-format.md and maps it shared; every rule
/// of the format is written there once, and this type reads the mapping. Every member reads the
/// live mapping: other processes may add modules and hits at any moment. Members are safe to call
/// from several threads, but not at the same time as <see cref="Dispose"/>.
/// </remarks>
public sealed partial class CoverageRegion : IDisposable
{
    private readonly RegionView _view;
    private readonly long _mapOffset;
    private bool _disposed;

    private CoverageRegion(string name, string path, RegionFileHandle handle, in Interop.Memcov.RegionFacts facts)
    {
        Name = name;
        Path = path;
        _view = new RegionView(handle, facts.Base, (long)facts.MappedBytes);
        Version = (int)facts.Version;
        Kind = (RegionKind)facts.Kind;
        CapacityEdges = (long)facts.CapacityEdges;
        CreatorPid = (long)Math.Min(facts.CreatorPid, long.MaxValue);
        CreatedAt = DateTimeOffset.UnixEpoch.AddTicks((long)Math.Min(facts.CreatedNs / 100, MaxTicksAfterEpoch));
        FileIdentity = (facts.Device, facts.Inode);
        _mapOffset = (long)facts.MapOffset;
    }

    /// <summary>The region name.</summary>
    public string Name { get; }

    /// <summary>The region file.</summary>
    public string Path { get; }

    /// <summary>The format version of the region: always <see cref="RegionFormat.Version"/>.</summary>
    public int Version { get; }

    /// <summary>What a byte of the map holds: flags, or hit-count classes.</summary>
    public RegionKind Kind { get; }

    /// <summary>Edge slots (bytes) of the map; a multiple of 4096, at most 2^32.</summary>
    public long CapacityEdges { get; }

    /// <summary>The process that created the region (<c>creator_pid</c>).</summary>
    public long CreatorPid { get; }

    /// <summary>When the region was created (<c>created_ns</c>).</summary>
    public DateTimeOffset CreatedAt { get; }

    /// <summary>The mapped file's device and inode: what tells whether <see cref="Path"/> still names it.</summary>
    internal (ulong Device, ulong Inode) FileIdentity { get; }

    /// <summary>
    /// Tells whether <see cref="Path"/> still names the file this region mapped: a region removed (and
    /// maybe created again) under its holder goes on recording into a file no one else opens.
    /// </summary>
    /// <param name="problem">Why not: removed, or removed and replaced by another file.</param>
    /// <returns><see langword="true"/> if the path still names this region's file.</returns>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public bool TryCheckPath([System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out string? problem)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (Interop.Memcov.RegionFileCheckPath(_view.Handle) == Interop.Memcov.MCOV_OK)
        {
            problem = null;
            return true;
        }

        problem = NativeStatus.LastError;
        return false;
    }

    /// <summary>
    /// Edge slots handed out to modules: <c>alloc_cursor</c>, rounded down to 4096 and bounded by
    /// <see cref="CapacityEdges"/>, so it never points past the map.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public long AllocCursor => (long)ReadCounters().AllocCursor;

    /// <summary>
    /// Published module entries: <c>module_count</c>, bounded by the table's capacity and by the room
    /// between the table and the map.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public int ModuleCount => (int)ReadCounters().ModuleCount;

    /// <summary>Edges of the registered modules (<c>edges_registered</c>).</summary>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public long EdgesRegistered => (long)Math.Min(ReadCounters().EdgesRegistered, long.MaxValue);

    /// <summary>Edges of modules that did not fit, summed over every process (<c>edges_dropped</c>).</summary>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public long EdgesDropped => (long)Math.Min(ReadCounters().EdgesDropped, long.MaxValue);

    /// <summary>Module registrations that did not fit and recorded privately, summed over every process.</summary>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public long ModulesPrivate => ReadCounters().ModulesPrivate;

    /// <summary>
    /// The published modules, in table order: copies of the valid entries below <see cref="ModuleCount"/>
    /// (an entry that fails the checks of docs/region-format.md is skipped, as the C runtime does).
    /// </summary>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public IReadOnlyList<RegionModule> Modules
    {
        get
        {
            int count = ModuleCount;
            var modules = new List<RegionModule>(count);
            for (uint i = 0; i < count; i++)
            {
                // libmemcov copies each entry once and checks the copy: the mapping may change under a second read.
                if (Interop.Memcov.RegionFileModule(_view.Handle, i, out ModuleEntry entry) != 0)
                {
                    modules.Add(RegionModule.FromEntry((int)i, entry));
                }
            }

            return modules;
        }
    }

    /// <summary>The map's bytes [0, <see cref="AllocCursor"/>): one byte per edge slot, non-zero once hit.</summary>
    /// <remarks>
    /// Every process's lane (its own views' hits not yet in the map) is folded into the map first,
    /// so the span starts as the union. It reads the live mapping, so hits from other processes
    /// appear in it, possibly late; hits recorded into lanes appear at the next read. It is valid only
    /// until <see cref="Dispose"/>: do not keep it past that.
    /// </remarks>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    /// <exception cref="InvalidOperationException">
    /// More than <see cref="int.MaxValue"/> slots are allocated; use <see cref="CountCovered()"/> and
    /// <see cref="GetModuleMap"/>.
    /// </exception>
    public ReadOnlySpan<byte> Map
    {
        get
        {
            FoldLanes();
            long cursor = AllocCursor;
            int length = SpanLength(cursor);
            FaultAhead(cursor);
            return _view.GetSpan(_mapOffset, length);
        }
    }

    /// <summary>
    /// The map's bytes [0, <see cref="AllocCursor"/>) as a writable span, for tools that clear or load
    /// parts of a map. Writers must follow docs/region-format.md: only ever store <c>1</c> into a zero
    /// byte, or clear bytes knowing that every process loses those hits.
    /// </summary>
    /// <returns>A span over the live mapping, valid until <see cref="Dispose"/>.</returns>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    /// <exception cref="InvalidOperationException">More than <see cref="int.MaxValue"/> slots are allocated.</exception>
    public Span<byte> DangerousGetWritableMap() => _view.GetWritableSpan(_mapOffset, SpanLength(AllocCursor));

    /// <summary>The slots of <paramref name="module"/>, <c>[Base, Base + EdgeCount)</c>, read live.</summary>
    /// <param name="module">A module of this region (from <see cref="Modules"/>).</param>
    /// <returns>A span over the live mapping, valid until <see cref="Dispose"/>.</returns>
    /// <exception cref="ArgumentException">The module's range is not inside this region's map.</exception>
    /// <exception cref="InvalidOperationException">The module has more edges than one span can hold; use <see cref="CountCovered(RegionModule)"/>.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public ReadOnlySpan<byte> GetModuleMap(RegionModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        FoldLanes();
        return GetWritableSlots(module.Base, module.EdgeCount, module.Index, module.Path);
    }

    /// <summary>The live slots [<paramref name="first"/>, + <paramref name="count"/>), writable, checked against the map.</summary>
    internal Span<byte> GetWritableSlots(long first, long count, int index = -1, string path = "")
    {
        CheckRange(first, count, index, path);
        if (count > int.MaxValue)
        {
            throw new InvalidOperationException(
                $"Module {index} ('{path}') has {count} edges, more than one span can hold; use CountCovered(module) for its count.");
        }

        return _view.GetWritableSpan(_mapOffset + first, (int)count);
    }

    /// <summary>Counts the edge slots in [0, <see cref="AllocCursor"/>) that are set.</summary>
    /// <returns>The number of covered edges in the region right now.</returns>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public long CountCovered()
    {
        FoldLanes();
        long cursor = AllocCursor;
        FaultAhead(cursor);
        return _view.CountNonZero(_mapOffset, cursor);
    }

    /// <summary>Counts the covered edges of <paramref name="module"/>.</summary>
    /// <param name="module">A module of this region (from <see cref="Modules"/>).</param>
    /// <returns>The number of the module's edges that are set right now.</returns>
    /// <exception cref="ArgumentException">The module's range is not inside this region's map.</exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public long CountCovered(RegionModule module)
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckRange(module.Base, module.EdgeCount, module.Index, module.Path);
        FoldLanes();
        return _view.CountNonZero(_mapOffset + module.Base, module.EdgeCount);
    }

    /// <summary>
    /// Copies the map [0, <see cref="AllocCursor"/>) into a pooled buffer: a stable picture to diff or
    /// merge while processes keep writing. Dispose the owner to return the buffer to the pool.
    /// </summary>
    /// <returns>The copy; its length is the cursor at the time of the call.</returns>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    /// <exception cref="InvalidOperationException">More than <see cref="int.MaxValue"/> slots are allocated.</exception>
    public MemoryOwner<byte> Snapshot()
    {
        ReadOnlySpan<byte> map = Map;
        MemoryOwner<byte> copy = MemoryOwner<byte>.Allocate(map.Length, AllocationMode.Default);
        map.CopyTo(copy.Span);
        return copy;
    }

    /// <summary>
    /// Clears the region for every reader, as <c>mcov_region_reset</c> does: the map (zero is stored
    /// only into 8-byte words that are not already zero, so clean pages stay clean), and what every
    /// process's lane holds now, which no reader counts any more. The header and the module table
    /// stay, and processes keep recording into their ranges. In a process recording inside an own
    /// view (a per-input <c>mcov_reset</c>), an edge that view already had reaches the region again
    /// at its first hit after the view is cleared or closed (docs/semantics.md, "Region reset inside
    /// an own view").
    /// </summary>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    /// <exception cref="IOException">Another process kept the region's lanes locked (stopped while reading the region); nothing was cleared.</exception>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int status = Interop.Memcov.RegionFileReset(_view.Handle);
        if (status != Interop.Memcov.MCOV_OK)
        {
            NativeStatus.ThrowForRegion(status, Name, Path);
        }
    }

    /// <summary>
    /// Throws when a module did not fit in this region, so the map misses its edges; does nothing
    /// when every module that tried to register found room.
    /// </summary>
    /// <exception cref="RegionTooSmallException">
    /// A module registration did not fit; the message gives the capacity that would hold it.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The region was disposed.</exception>
    public void ThrowIfTooSmall()
    {
        long dropped = EdgesDropped;
        long modules = ModulesPrivate;
        if (dropped == 0 && modules == 0)
        {
            return;
        }

        // The counters add up over processes, so several processes dropping one module count it
        // several times: the average registration is a lower bound of the largest module that did
        // not fit. The native runtime's stderr line gives the exact figure.
        ulong perModule = RegionFormat.RoundUp((ulong)Math.Min(Math.Max(dropped / Math.Max(modules, 1), 1), RegionFormat.MaxCapacity));
        long needed = (long)Math.Min((ulong)AllocCursor + perModule, RegionFormat.MaxCapacity);
        throw new RegionTooSmallException(Name, CapacityEdges, dropped, modules, needed);
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

    /// <summary>
    /// Folds every process's lane into the map, so the map is the union, and frees the lanes of
    /// processes that died. Best effort: a removed region, or lanes another process keeps locked,
    /// leave the map as it is.
    /// </summary>
    internal void FoldLanes()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        _ = Interop.Memcov.RegionFileSync(_view.Handle);
    }

    /// <summary>
    /// Maps this process's pages of the map [0, <paramref name="upto"/>) with one call before a read of
    /// all of them, instead of a page fault every few pages; pages mapped already (the creator's first
    /// 64 MiB, an earlier read) are not asked again.
    /// </summary>
    internal void FaultAhead(long upto)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (MemcovLibrary.HasFaultAhead)
        {
            Interop.Memcov.RegionFileFaultAhead(_view.Handle, (ulong)upto);
        }
    }

    private Interop.Memcov.RegionCounters ReadCounters()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Interop.Memcov.RegionFileCounters(_view.Handle, out Interop.Memcov.RegionCounters counters);
        return counters;
    }

    private int SpanLength(long cursor)
    {
        if (cursor > int.MaxValue)
        {
            throw new InvalidOperationException(
                $"Region '{Name}' has {cursor} allocated edge slots, more than one span can hold; " +
                "use CountCovered() for its size and GetModuleMap() for each module.");
        }

        return (int)cursor;
    }

    private void CheckRange(long first, long count, int index, string path)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (first < 0 || count <= 0 || count > CapacityEdges || first > CapacityEdges - count)
        {
            throw new ArgumentException(
                $"Module {index} ('{path}') spans slots [{first}, {first + count}), outside region '{Name}' of " +
                $"{CapacityEdges} slots: pass a module from this region's Modules.", "module");
        }
    }
}
