using System.Diagnostics.CodeAnalysis;

namespace Memcov.SharedMem;

/// <summary>Creating, attaching, listing and removing regions by name.</summary>
public sealed partial class CoverageRegion
{
    /// <summary>
    /// Creates region <paramref name="name"/> with room for <paramref name="capacityEdges"/> edges and
    /// maps it, the first 64 MiB of the map up front (so that this process's later reads, the
    /// counts of a parent gathering its workers, take no page faults), as <c>mcov_region_create</c>
    /// does. The file is complete before its name appears (temp file, <c>posix_fallocate</c>,
    /// <c>link</c>), so a full <c>/dev/shm</c> fails here rather than as SIGBUS in a target later, and
    /// an existing region is never replaced.
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
    public static CoverageRegion Create(string name, long capacityEdges)
    {
        string path = RegionName.GetPath(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacityEdges, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacityEdges, RegionFormat.MaxCapacity);
        ulong capacity = RegionValidator.RoundUp((ulong)capacityEdges);

        if (OperatingSystem.IsWindows())
        {
            return RegionMapping.Create(name, capacity);
        }

        if (!OperatingSystem.IsLinux())
        {
            throw Unsupported();
        }

        var handle = RegionFile.Create(name, path, capacity, out RegionHeader header, out RegionFile.FileId id);
        var view = RegionView.Map(handle, (long)(header.MapOffset + header.CapacityEdges));

        // The creator is the process that reads the map most (a parent counting its workers' edges):
        // map its first pages now, before any worker starts, as mcov_region_create does.
        view.TouchPages((long)header.MapOffset, Math.Min((long)header.CapacityEdges, PrefaultBytes));
        return new CoverageRegion(name, path, view, header, id);
    }

    /// <summary>How much of the map <see cref="Create"/> maps up front: at most 16 Ki page-table entries.</summary>
    private const long PrefaultBytes = 64L << 20;

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
    /// <exception cref="PlatformNotSupportedException">The OS is neither Linux nor Windows.</exception>
    public static CoverageRegion Attach(string name)
    {
        string path = RegionName.GetPath(name); // check 1
        if (OperatingSystem.IsWindows())
        {
            return RegionMapping.Attach(name);
        }

        if (!OperatingSystem.IsLinux())
        {
            throw Unsupported();
        }

        var handle = RegionFile.OpenValidated(name, path, out RegionHeader header, out RegionFile.FileId id); // checks 2-16

        // Check 17: map map_offset + capacity_edges bytes, shared and writable.
        return new CoverageRegion(name, path, RegionView.Map(handle, (long)(header.MapOffset + header.CapacityEdges)), header, id);
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
    /// <returns><see langword="true"/> if the region exists.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rule.</exception>
    public static bool Exists(string name)
    {
        string path = RegionName.GetPath(name);
        if (OperatingSystem.IsWindows())
        {
            return RegionMapping.Exists(name);
        }

        if (!OperatingSystem.IsLinux())
        {
            throw Unsupported();
        }

        return RegionFile.IsRegularFile(path);
    }

    /// <summary>
    /// Removes region <paramref name="name"/>'s file. Processes that mapped it keep their mapping;
    /// the memory is freed when the last one unmaps.
    /// </summary>
    /// <param name="name">The region name.</param>
    /// <returns><see langword="true"/> if the file was removed; <see langword="false"/> if there was none.</returns>
    /// <exception cref="ArgumentException">The name breaks the naming rule.</exception>
    /// <exception cref="UnauthorizedAccessException">This user may not remove the file.</exception>
    /// <exception cref="IOException">unlink failed for another reason.</exception>
    /// <remarks>On Windows a named mapping goes away with its last handle; this returns <see langword="false"/>.</remarks>
    public static bool Remove(string name)
    {
        string path = RegionName.GetPath(name);
        if (OperatingSystem.IsWindows())
        {
            return false;
        }

        if (!OperatingSystem.IsLinux())
        {
            throw Unsupported();
        }

        return RegionFile.Remove(path);
    }

    /// <summary>
    /// The regions in the region directory, sorted by name, each with its header facts or the reason it
    /// cannot be attached. Nothing is mapped or written.
    /// </summary>
    /// <returns>One summary per file named <c>memcov-NAME</c> with a valid NAME.</returns>
    /// <exception cref="DirectoryNotFoundException">The region directory does not exist.</exception>
    /// <exception cref="PlatformNotSupportedException">The OS is not Linux (Windows has no directory of mappings).</exception>
    public static IReadOnlyList<RegionSummary> List()
    {
        if (!OperatingSystem.IsLinux())
        {
            throw Unsupported();
        }

        var summaries = new List<RegionSummary>();
        foreach (string name in RegionFile.EnumerateNames())
        {
            string path = RegionName.GetPath(name);
            try
            {
                using var handle = RegionFile.OpenValidated(name, path, out RegionHeader h, out _);
                summaries.Add(new RegionSummary
                {
                    Name = name,
                    Path = path,
                    Version = (int)h.Version,
                    CapacityEdges = (long)h.CapacityEdges,
                    AllocCursor = (long)h.AllocCursor,
                    ModuleCount = (int)h.ModuleCount,
                    EdgesRegistered = (long)Math.Min(h.EdgesRegistered, long.MaxValue),
                    EdgesDropped = (long)Math.Min(h.EdgesDropped, long.MaxValue),
                    CreatorPid = (long)Math.Min(h.CreatorPid, long.MaxValue),
                    CreatedAt = DateTimeOffset.UnixEpoch.AddTicks((long)Math.Min(h.CreatedNs / 100, MaxTicksAfterEpoch)),
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

    private static ulong MaxTicksAfterEpoch => (ulong)(DateTimeOffset.MaxValue - DateTimeOffset.UnixEpoch).Ticks;

    private static PlatformNotSupportedException Unsupported() => new(
        "Memcov regions are files in a tmpfs directory shared through mmap on Linux, and named " +
        "mappings on Windows; this operating system has neither.");
}
