using System.Diagnostics.CodeAnalysis;

namespace Memcov.SharedMem;

/// <summary>Creating, attaching, listing and removing regions by name.</summary>
public sealed partial class CoverageRegion
{
    /// <summary>
    /// Creates region <paramref name="name"/> with room for <paramref name="capacityEdges"/> edges and
    /// maps it, the first 64 MiB of the map up front (so that this process's later reads, the
    /// counts of a parent gathering its workers, take no page faults), as <c>mcov_region_create</c>
    /// does, but without attaching this process's native runtime. The file is complete before its
    /// name appears (temp file, <c>posix_fallocate</c>, <c>link</c>), so a full <c>/dev/shm</c> fails
    /// here rather than as SIGBUS in a target later, and an existing region is never replaced.
    /// </summary>
    /// <param name="name">The region name: <c>[A-Za-z0-9][A-Za-z0-9._-]{0,199}</c>.</param>
    /// <param name="capacityEdges">Edge slots, 1 to 2^32; rounded up to a multiple of 4096.</param>
    /// <returns>The new region, mapped; dispose it to unmap (the region stays until removed).</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rule, or the path is too long.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The capacity is not 1 to 2^32.</exception>
    /// <exception cref="RegionExistsException">A file exists under the name; it is left alone.</exception>
    /// <exception cref="DirectoryNotFoundException">The region directory does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">This user may not create files in the region directory.</exception>
    /// <exception cref="IOException">The directory has no room for the region, or a system call failed.</exception>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static CoverageRegion Create(string name, long capacityEdges) => Create(name, capacityEdges, RegionKind.Flags);

    /// <summary>
    /// Creates region <paramref name="name"/> whose map holds <paramref name="kind"/>: flags, as
    /// <see cref="Create(string, long)"/> makes, or hit-count classes (a hit-count region, as
    /// <c>mcov_region_create_counts</c> makes).
    /// </summary>
    /// <param name="name">The region name: <c>[A-Za-z0-9][A-Za-z0-9._-]{0,199}</c>.</param>
    /// <param name="capacityEdges">Edge slots, 1 to 2^32; rounded up to a multiple of 4096.</param>
    /// <param name="kind">What a byte of the map holds.</param>
    /// <returns>The new region, mapped; dispose it to unmap (the region stays until removed).</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rule, or the path is too long.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The capacity is not 1 to 2^32, or the kind is not defined.</exception>
    /// <exception cref="RegionExistsException">A file exists under the name; it is left alone.</exception>
    /// <exception cref="DirectoryNotFoundException">The region directory does not exist.</exception>
    /// <exception cref="UnauthorizedAccessException">This user may not create files in the region directory.</exception>
    /// <exception cref="IOException">The directory has no room for the region, or a system call failed.</exception>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static CoverageRegion Create(string name, long capacityEdges, RegionKind kind)
    {
        string path = RegionName.GetPath(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityEdges, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacityEdges, RegionFormat.MaxCapacity);
        if (kind is not (RegionKind.Flags or RegionKind.Classes))
        {
            throw new ArgumentOutOfRangeException(nameof(kind), kind, "A region holds flags or classes.");
        }

        int status = Interop.Memcov.RegionFileCreateKind(RegionName.GetDirectory(), name, (ulong)capacityEdges,
            (uint)kind, out RegionFileHandle handle, out Interop.Memcov.RegionFacts facts);
        if (status != Interop.Memcov.MCOV_OK)
        {
            handle.Dispose();
            throw status switch
            {
                Interop.Memcov.MCOV_E_NOT_FOUND => new DirectoryNotFoundException(NativeStatus.LastError),
                _ => NativeStatus.ForRegion(status, name, path),
            };
        }

        // The creator is the process that reads the map most (a parent counting its workers' edges):
        // map its first pages now, before any worker starts, as mcov_region_create does.
        Interop.Memcov.RegionFilePrefault(handle);
        return new CoverageRegion(name, path, handle, facts);
    }

    /// <summary>
    /// Opens region <paramref name="name"/>, validates it with the checks of docs/region-format.md
    /// in their order, and maps it.
    /// </summary>
    /// <param name="name">The region name.</param>
    /// <returns>The attached region; dispose it to unmap.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rule, or the path is too long.</exception>
    /// <exception cref="RegionNotFoundException">No region file exists under the name.</exception>
    /// <exception cref="UnauthorizedAccessException">
    /// The path is a symlink or not a regular file, another user owns it, or it may not be opened.
    /// </exception>
    /// <exception cref="RegionFormatException">The file has another format version than <see cref="RegionFormat.Version"/>.</exception>
    /// <exception cref="RegionCorruptException">The header fails a check.</exception>
    /// <exception cref="IOException">A system call failed otherwise.</exception>
    /// <exception cref="DllNotFoundException">No libmemcov.so could be loaded.</exception>
    public static CoverageRegion Attach(string name)
    {
        string path = RegionName.GetPath(name);
        int status = Interop.Memcov.RegionFileOpen(RegionName.GetDirectory(), name,
            out RegionFileHandle handle, out Interop.Memcov.RegionFacts facts);
        if (status != Interop.Memcov.MCOV_OK)
        {
            handle.Dispose();
            NativeStatus.ThrowForRegion(status, name, path, facts.Version);
        }

        return new CoverageRegion(name, path, handle, facts);
    }

    /// <summary>Attaches to region <paramref name="name"/> if it exists.</summary>
    /// <param name="name">The region name.</param>
    /// <param name="region">The attached region, or <see langword="null"/> when none exists under the name.</param>
    /// <returns><see langword="true"/> if the region was attached.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rule.</exception>
    /// <exception cref="RegionFormatException">The file has another format version.</exception>
    /// <exception cref="RegionCorruptException">The file exists but is not a valid region.</exception>
    /// <exception cref="UnauthorizedAccessException">The file exists but may not be used.</exception>
    public static bool TryAttach(string name, [NotNullWhen(true)] out CoverageRegion? region)
    {
        try
        {
            region = Attach(name);
            return true;
        }
        catch (RegionNotFoundException)
        {
            region = null;
            return false;
        }
    }

    /// <summary>Tells whether region <paramref name="name"/> exists (a symlink does not count).</summary>
    /// <param name="name">The region name.</param>
    /// <returns><see langword="true"/> if a regular file is there.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rule.</exception>
    public static bool Exists(string name) => IsRegularFile(RegionName.GetPath(name));

    /// <summary>
    /// Removes region <paramref name="name"/>'s file. Processes that mapped it keep their mapping;
    /// the memory is freed when the last one unmaps.
    /// </summary>
    /// <param name="name">The region name.</param>
    /// <returns><see langword="true"/> if the file was removed; <see langword="false"/> if there was none.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rule.</exception>
    /// <exception cref="UnauthorizedAccessException">This user may not remove the file.</exception>
    /// <exception cref="IOException">unlink failed for another reason.</exception>
    public static bool Remove(string name)
    {
        string path = RegionName.GetPath(name);
        int status = Interop.Memcov.RegionFileRemove(RegionName.GetDirectory(), name);
        if (status == Interop.Memcov.MCOV_E_NOT_FOUND)
        {
            return false;
        }

        if (status != Interop.Memcov.MCOV_OK)
        {
            NativeStatus.ThrowForRegion(status, name, path);
        }

        return true;
    }

    /// <summary>Who holds region <paramref name="name"/>, from the kernel's locks on its file; the region is not held by this call.</summary>
    /// <param name="name">The region name.</param>
    /// <returns>The holders.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rule.</exception>
    /// <exception cref="RegionNotFoundException">No file exists under the name.</exception>
    /// <exception cref="UnauthorizedAccessException">The path is not a regular file, or may not be opened.</exception>
    public static RegionLiveness GetLiveness(string name)
    {
        string path = RegionName.GetPath(name);
        int status = Interop.Memcov.RegionFileLiveness(RegionName.GetDirectory(), name, out uint state);
        if (status != Interop.Memcov.MCOV_OK)
        {
            NativeStatus.ThrowForRegion(status, name, path);
        }

        return (RegionLiveness)state;
    }

    /// <summary>
    /// Removes region <paramref name="name"/>'s file only if no process holds it. A process that attaches
    /// at the same moment either holds it first (and it stays) or finds it gone.
    /// </summary>
    /// <param name="name">The region name.</param>
    /// <returns><see langword="true"/> if the file was removed; <see langword="false"/> if a process holds it.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rule.</exception>
    /// <exception cref="RegionNotFoundException">No file exists under the name.</exception>
    /// <exception cref="UnauthorizedAccessException">The path is not a region file of this user.</exception>
    /// <exception cref="IOException">unlink failed otherwise.</exception>
    public static bool RemoveUnused(string name)
    {
        string path = RegionName.GetPath(name);
        int status = Interop.Memcov.RegionFileRemoveUnused(RegionName.GetDirectory(), name);
        if (status == Interop.Memcov.MCOV_E_IN_USE)
        {
            return false;
        }

        if (status != Interop.Memcov.MCOV_OK)
        {
            NativeStatus.ThrowForRegion(status, name, path);
        }

        return true;
    }

    /// <summary>
    /// Removes the lanes files (<c>.memcov-lanes-NAME-TOKEN</c>) of the region directory whose region is
    /// gone — removed by other means than memcov — or names another lanes file, once they are a minute
    /// old (a creator links its region right after its lanes file). Regions are left alone.
    /// </summary>
    /// <returns>How many lanes files were removed.</returns>
    /// <exception cref="DirectoryNotFoundException">The region directory does not exist.</exception>
    /// <exception cref="IOException">The directory cannot be listed.</exception>
    public static long RemoveStrayLanesFiles()
    {
        long removed = Interop.Memcov.RegionFileSweepLanes(RegionName.GetDirectory());
        if (removed == Interop.Memcov.MCOV_E_NOT_FOUND)
        {
            throw new DirectoryNotFoundException(NativeStatus.LastError);
        }

        if (removed < 0)
        {
            throw new IOException(NativeStatus.LastError);
        }

        return removed;
    }

    /// <summary>
    /// The regions in the region directory, sorted by name, each with who holds it and its header facts,
    /// or the reason it cannot be attached. Nothing is written.
    /// </summary>
    /// <returns>One summary per file named <c>memcov-NAME</c> with a valid NAME.</returns>
    /// <exception cref="DirectoryNotFoundException">The region directory does not exist.</exception>
    public static IReadOnlyList<RegionSummary> List()
    {
        var summaries = new List<RegionSummary>();
        foreach (string name in EnumerateNames())
        {
            string path = RegionName.GetPath(name);
            try
            {
                // Who holds it, asked before this listing holds it too.
                RegionLiveness liveness = GetLiveness(name);
                using CoverageRegion region = Attach(name);
                summaries.Add(new RegionSummary
                {
                    Name = name,
                    Path = path,
                    Liveness = liveness,
                    Version = region.Version,
                    CapacityEdges = region.CapacityEdges,
                    AllocCursor = region.AllocCursor,
                    ModuleCount = region.ModuleCount,
                    EdgesRegistered = region.EdgesRegistered,
                    EdgesDropped = region.EdgesDropped,
                    CreatorPid = region.CreatorPid,
                    CreatedAt = region.CreatedAt,
                });
            }
            catch (RegionNotFoundException)
            {
                // Removed since it was listed.
            }
            catch (IOException e)
            {
                summaries.Add(new RegionSummary { Name = name, Path = path, Problem = e.Message });
            }
            catch (UnauthorizedAccessException e)
            {
                summaries.Add(new RegionSummary { Name = name, Path = path, Problem = e.Message });
            }
        }

        return summaries;
    }

    /// <summary>The valid region names with a file in the region directory, sorted ordinally.</summary>
    private static List<string> EnumerateNames()
    {
        string dir = RegionName.GetDirectory();
        if (!Directory.Exists(dir))
        {
            throw new DirectoryNotFoundException(
                $"The region directory '{dir}' does not exist: create it, or set {RegionName.DirectoryVariable} " +
                "to the directory the regions' creator used.");
        }

        var names = new List<string>();
        foreach (string file in Directory.EnumerateFiles(dir, RegionName.FilePrefix + "*"))
        {
            string name = System.IO.Path.GetFileName(file)[RegionName.FilePrefix.Length..];
            if (RegionName.IsValid(name))
            {
                names.Add(name);
            }
        }

        names.Sort(StringComparer.Ordinal);
        return names;
    }

    /// <summary>Tells whether a regular file (not a symlink) is at <paramref name="path"/>.</summary>
    private static bool IsRegularFile(string path) =>
        Interop.Libc.Statx(Interop.Libc.AT_FDCWD, path, Interop.Libc.AT_SYMLINK_NOFOLLOW,
            Interop.Libc.STATX_BASIC_STATS, out Interop.Libc.StatxBuffer st) == 0
        && (st.Mode & Interop.Libc.S_IFMT) == Interop.Libc.S_IFREG;

    private static ulong MaxTicksAfterEpoch => (ulong)(DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).Ticks;
}
