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
    /// <param name="neededEdges">A capacity that holds every module seen so far.</param>
    public RegionTooSmallException(string name, long capacityEdges, long edgesDropped, long modulesPrivate, long neededEdges)
        : base(
            $"The memcov region '{name}' is too small: {modulesPrivate} module registration(s) with {edgesDropped} " +
            $"edges did not fit in its {capacityEdges} edge slots (or its module table was full) and recorded " +
            $"privately. Create the region again with a capacity of at least {neededEdges} edges.")
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

    /// <summary>A capacity that holds every module seen so far.</summary>
    public long NeededEdges { get; }
}
