using Memcov.SharedMem;

namespace Memcov.Cli.Reports;

/// <summary>What <c>memcov stat</c> reports of a region: its header, its modules and their coverage.</summary>
internal sealed record RegionReport(
    string Name,
    string Path,
    int Version,
    long CapacityEdges,
    long AllocatedEdges,
    long RegisteredEdges,
    long DroppedEdges,
    long ModulesPrivate,
    long CoveredEdges,
    long CreatorPid,
    DateTimeOffset CreatedAt,
    IReadOnlyList<ModuleReport> Modules)
{
    /// <summary>Reads the region now.</summary>
    public static RegionReport Of(CoverageRegion region)
    {
        var modules = region.Modules
            .Select(m => new ModuleReport(m.Index, m.Path, m.IdKind == ModuleIdKind.BuildId ? "build-id" : "path", m.Id,
                m.Mode == ModuleMode.Inline ? "inline" : "callback", m.Base, m.EdgeCount, region.CountCovered(m)))
            .ToList();
        return new RegionReport(region.Name, region.Path, region.Version, region.CapacityEdges, region.AllocCursor,
            region.EdgesRegistered, region.EdgesDropped, region.ModulesPrivate, region.CountCovered(), region.CreatorPid,
            region.CreatedAt, modules);
    }
}

/// <summary>One module of a <see cref="RegionReport"/>.</summary>
internal sealed record ModuleReport(int Index, string Path, string IdKind, string Id, string Mode, long Base, long Edges, long Covered);
