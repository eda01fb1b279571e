using Memcov.SharedMem;

namespace Memcov.Benchmarks;

/// <summary>
/// A region in the shm directory holding one module of a given size, filled like a campaign's map:
/// what <see cref="CoverageRegion.Snapshot"/> and <see cref="CoverageFeed"/> read.
/// </summary>
public sealed class BenchRegion : IDisposable
{
    private readonly string _name;

    public BenchRegion(string purpose, int edges, int seed)
    {
        _name = $"bench-{purpose}-{Environment.ProcessId}-{edges}";
        CoverageRegion.Remove(_name);
        Region = CoverageRegion.Create(_name, edges);
        var map = new byte[edges];
        Maps.FillCovered(map, seed);
        var identity = new ModuleIdentity(ModuleIdKind.BuildId, $"{seed:x8}{edges:x8}", edges, ModuleMode.Callback, 0);
        new CoverageMapFile([new MapModule(identity, "/bench/module.so", map)]).ImportInto(Region);
    }

    public CoverageRegion Region { get; }

    public void Dispose()
    {
        Region.Dispose();
        CoverageRegion.Remove(_name);
    }
}
