namespace Memcov.SharedMem.Tests;

/// <summary>Regions that native mcov_worker processes fill, read from .NET.</summary>
public sealed class CoverageRegionCrossProcessTests : RegionTestBase
{
    private const int InputCount = 24;

    [Fact]
    public void Attach_SeesTheUnionOfNativeWorkers_EqualToOneWorkerRunningEveryInput()
    {
        // Reference: one worker runs every input (module A, then B).
        string reference = NewName("ref");
        NativeMemcov.CreateRegion(reference, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(reference, 0, InputCount));

        // Union: four workers take a quarter each. Worker 0 runs alone first, registering A then B,
        // so the layout is the reference's; the odd ones load B first and find it in the table.
        string union = NewName("union");
        NativeMemcov.CreateRegion(union, 1 << 16);
        const int Per = InputCount / 4;
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(union, 0, Per));
        var workers = Enumerable.Range(1, 3).Select(i => NativeMemcov.StartWorker(union, i * Per, Per, bFirst: i % 2 == 1)).ToList();
        workers.ForEach(NativeMemcov.WaitOk);

        using CoverageRegion expected = CoverageRegion.Attach(reference);
        using CoverageRegion got = CoverageRegion.Attach(union);

        Assert.Equal(2, expected.ModuleCount);
        Assert.Equal(2, got.ModuleCount);
        Assert.Equal(0, got.EdgesDropped);
        Assert.Equal(0, got.ModulesPrivate);
        Assert.Equal(RegionFormat.Version, got.Version);
        Assert.Equal(1 << 16, got.CapacityEdges);
        Assert.Equal(expected.AllocCursor, got.AllocCursor);
        Assert.True(expected.CountCovered() > 50, $"the reference covers only {expected.CountCovered()} edges");
        Assert.Equal(expected.CountCovered(), got.CountCovered());
        Assert.True(expected.Map.SequenceEqual(got.Map), "the union's map differs from the reference's");

        long byteByByte = 0;
        foreach (byte b in got.Map)
        {
            byteByByte += b != 0 ? 1 : 0;
        }

        Assert.Equal(byteByByte, got.CountCovered());
    }

    [Fact]
    public void Attach_ReadsAFreshNativeRegion_WithNoModules()
    {
        string name = NewName("empty");
        NativeMemcov.CreateRegion(name, 5000);

        Assert.True(CoverageRegion.Exists(name));
        using CoverageRegion region = CoverageRegion.Attach(name);
        Assert.Equal(8192, region.CapacityEdges);
        Assert.Equal(0, region.ModuleCount);
        Assert.Equal(0, region.AllocCursor);
        Assert.Equal(0, region.CountCovered());
        Assert.True(region.Map.IsEmpty);
    }
}
