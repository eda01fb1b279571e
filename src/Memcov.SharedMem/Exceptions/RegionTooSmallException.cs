namespace Memcov.SharedMem;

/// <summary>
/// Modules did not fit in the region and recorded privately in their processes, so the region's map
/// misses their edges. What the region holds stays valid.
/// </summary>
public sealed class RegionTooSmallException : IOException
{
    /// <summary>Creates the exception for region <paramref name="name"/>.</summary>
    /// <param name="name">The region name.</param>
    /// <param name="capacityEdges">The region's capacity in edges.</param>
    /// <param name="edgesDropped">Edges of the modules that did not fit, summed over processes.</param>
    /// <param name="modulesPrivate">Module registrations that did not fit, summed over processes.</param>
    /// <param name="neededEdges">A lower bound of the capacity that holds every module seen so far.</param>
    public RegionTooSmallException(string name, long capacityEdges, long edgesDropped, long modulesPrivate, long neededEdges)
        : base(
            $"The memcov region '{name}' is too small: {modulesPrivate} module registration(s) with {edgesDropped} " +
            $"edges did not fit in its {capacityEdges} edge slots (or its module table was full) and recorded " +
            $"privately. Create the region again with a capacity of at least {neededEdges} edges (the native " +
            "runtime's 'memcov:' line on the workers' stderr gives the exact figure).")
    {
        Name = name;
        CapacityEdges = capacityEdges;
        EdgesDropped = edgesDropped;
        ModulesPrivate = modulesPrivate;
        NeededEdges = neededEdges;
    }

    private RegionTooSmallException(string name, long capacityEdges, long edgesDropped, long modulesPrivate, long neededEdges, string message)
        : base(message)
    {
        Name = name;
        CapacityEdges = capacityEdges;
        EdgesDropped = edgesDropped;
        ModulesPrivate = modulesPrivate;
        NeededEdges = neededEdges;
    }

    /// <summary>The region name.</summary>
    public string Name { get; }

    /// <summary>The region's capacity in edges.</summary>
    public long CapacityEdges { get; }

    /// <summary>Edges of the modules that did not fit, summed over processes.</summary>
    public long EdgesDropped { get; }

    /// <summary>Module registrations that did not fit, summed over processes.</summary>
    public long ModulesPrivate { get; }

    /// <summary>A lower bound of the capacity that holds every module seen so far.</summary>
    public long NeededEdges { get; }

    /// <summary>An import whose new modules do not fit; nothing was written.</summary>
    internal static RegionTooSmallException ForImport(string name, long capacityEdges, long neededEdges, string message) =>
        new(name, capacityEdges, 0, 0, neededEdges,
            $"{message}. Import into a new region (memcov import FILE NEW-NAME --capacity {neededEdges}).");
}
