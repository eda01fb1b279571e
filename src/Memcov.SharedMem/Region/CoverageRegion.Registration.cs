using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Memcov.SharedMem;

/// <summary>Adding modules to a region's table from .NET, under the native runtime's protocol.</summary>
public sealed partial class CoverageRegion
{
    private static readonly TimeSpan LockWait = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Finds or allocates the range of each module, by identity, under the region's file lock
    /// (docs/region-format.md, "Registration protocol"): every process that loads the same module
    /// later finds the same range. Either every module gets a range or nothing is written.
    /// </summary>
    /// <param name="modules">The modules, with the path to record for new entries.</param>
    /// <returns>Each module's base slot, in order.</returns>
    /// <exception cref="RegionTooSmallException">The modules that are not in the table do not fit.</exception>
    /// <exception cref="RegionNotFoundException">The region's file was removed or replaced since it was mapped.</exception>
    /// <exception cref="IOException">The lock stayed held by a live process for 10 seconds.</exception>
    internal long[] ClaimRanges(IReadOnlyList<(ModuleIdentity Identity, string Path)> modules)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!OperatingSystem.IsLinux())
        {
            throw new PlatformNotSupportedException("Adding modules to a region from .NET needs the Linux file lock.");
        }

        using var handle = RegionFile.Reopen(Path, _fileId)
            ?? throw new RegionNotFoundException(Name, Path);
        Lock((int)handle.DangerousGetHandle());

        // The lock is released when the descriptor closes.
        int count = ModuleCount;
        ulong capacity = (ulong)CapacityEdges;
        ulong cursor = (ulong)AllocCursor;
        var known = new Dictionary<ModuleIdentity, long>();
        for (int i = 0; i < count; i++)
        {
            ModuleEntry e = _view.ReadEntry(EntryOffset(i));
            if (RegionValidator.IsValidEntry(e, capacity))
            {
                known.TryAdd(RegionModule.FromEntry(i, e).Identity, (long)e.Base);
                cursor = Math.Max(cursor, e.Base + RegionValidator.RoundUp(e.EdgeCount));
            }
        }

        var fresh = new List<int>();
        ulong need = 0;
        for (int m = 0; m < modules.Count; m++)
        {
            if (known.TryAdd(modules[m].Identity, -1))
            {
                fresh.Add(m);
                need += RegionValidator.RoundUp((ulong)modules[m].Identity.EdgeCount);
            }
        }

        bool tableFull = count + fresh.Count > _moduleBound;
        if (tableFull || need > capacity - cursor)
        {
            throw RegionTooSmallException.ForImport(Name, CapacityEdges, (long)need, fresh.Count,
                (long)RegionValidator.RoundUp(Math.Min(cursor + need, RegionFormat.MaxCapacity)), tableFull);
        }

        // Every entry is built before the first store, so a bad one leaves the table as it was.
        var entries = new List<(ModuleIdentity Id, ModuleEntry Entry)>(fresh.Count);
        ulong next = cursor;
        foreach (int m in fresh)
        {
            (ModuleIdentity id, string path) = modules[m];
            entries.Add((id, ModuleEntry.Create(id, path, next)));
            next += RegionValidator.RoundUp((ulong)id.EdgeCount);
        }

        foreach ((ModuleIdentity id, ModuleEntry entry) in entries)
        {
            _view.WriteEntry(EntryOffset(count), entry);
            known[id] = (long)entry.Base;

            // The cursor before the count, so a published entry always lies below the cursor.
            _view.WriteUInt64Release(AllocCursorOffset, entry.Base + RegionValidator.RoundUp(entry.EdgeCount));
            _view.WriteUInt32Release(ModuleCountOffset, (uint)++count);
            _view.AddUInt64(EdgesRegisteredOffset, entry.EdgeCount);
        }

        return [.. modules.Select(m => known[m.Identity])];
    }

    private long EntryOffset(int index) => _tableOffset + ((long)index * RegionFormat.ModuleEntrySize);

    private void Lock(int fd)
    {
        // Waits without blocking a thread forever: a dead holder's lock is released by the kernel,
        // a live one that keeps it for 10 s is reported.
        var clock = Stopwatch.StartNew();
        while (Interop.Libc.Flock(fd, Interop.Libc.LOCK_EX | Interop.Libc.LOCK_NB) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Interop.Libc.EWOULDBLOCK && errno != Interop.Libc.EINTR)
            {
                ThrowHelper.ThrowSystem(Path, "flock", errno);
            }

            if (clock.Elapsed > LockWait)
            {
                throw new IOException(
                    $"The registration lock of region '{Name}' ({Path}) has been held for {LockWait.TotalSeconds:0} s " +
                    "by another process. Find it with 'fuser' or 'lsof' on the file and let it finish, or stop it.");
            }

            Thread.Sleep(10);
        }
    }
}
