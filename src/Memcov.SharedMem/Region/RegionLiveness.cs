namespace Memcov.SharedMem;

/// <summary>
/// Who holds a region, as the kernel's locks on its file say (docs/region-format.md, "Liveness"):
/// a process attached to it or a tool that has it open, and its creator while the creator runs.
/// </summary>
[Flags]
public enum RegionLiveness
{
    /// <summary>No process holds the region: nothing records into it; it may be swept.</summary>
    Unused = 0,

    /// <summary>At least one process holds the region (an attached runtime, an open <see cref="CoverageRegion"/>).</summary>
    Held = 1,

    /// <summary>The process that created the region runs (or a fork child of it that has not replaced its descriptor).</summary>
    CreatorRunning = 2,
}
