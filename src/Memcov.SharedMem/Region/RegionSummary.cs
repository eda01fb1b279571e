namespace Memcov.SharedMem;

/// <summary>
/// One file of the region directory as <see cref="CoverageRegion.List"/> found it: the facts of its
/// header, or why it is not a usable region.
/// </summary>
public sealed record RegionSummary
{
    /// <summary>The region name.</summary>
    public required string Name { get; init; }

    /// <summary>The region file.</summary>
    public required string Path { get; init; }

    /// <summary>Why the file cannot be attached (the exception's message); <see langword="null"/> when it can.</summary>
    public string? Problem { get; init; }

    /// <summary>Who held the region when it was listed; <see cref="RegionLiveness.Unused"/> when <see cref="Problem"/> is set.</summary>
    public RegionLiveness Liveness { get; init; }

    /// <summary>The format version; 0 when <see cref="Problem"/> is set.</summary>
    public int Version { get; init; }

    /// <summary>Edge slots of the map.</summary>
    public long CapacityEdges { get; init; }

    /// <summary>Edge slots handed out to modules.</summary>
    public long AllocCursor { get; init; }

    /// <summary>Published module entries.</summary>
    public int ModuleCount { get; init; }

    /// <summary>Edges of the registered modules.</summary>
    public long EdgesRegistered { get; init; }

    /// <summary>Edges of modules that did not fit, summed over processes.</summary>
    public long EdgesDropped { get; init; }

    /// <summary>The process that created the region.</summary>
    public long CreatorPid { get; init; }

    /// <summary>When the region was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Tells whether the file passed every check.</summary>
    public bool IsValid => Problem is null;
}
