namespace Memcov.SharedMem.Tests;

/// <summary>
/// The reference union: one native mcov_worker runs every input (module A, then B) into a fresh
/// region. Tests compare what other processes leave in a region with this copy of its map.
/// </summary>
public sealed class NativeReference
{
    public NativeReference()
    {
        string name = $"dotnet-reference-{Environment.ProcessId}-{Guid.NewGuid():N}";
        NativeMemcov.CreateRegion(name, 1 << 16);
        try
        {
            NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, InputCount));
            using CoverageRegion region = CoverageRegion.Attach(name);
            Map = region.Map.ToArray();
            Covered = region.CountCovered();
            ModuleCount = region.ModuleCount;
        }
        finally
        {
            CoverageRegion.Remove(name);
        }

        Assert.Equal(2, ModuleCount);
        Assert.True(Covered > 50, $"the reference covers only {Covered} edges");
    }

    /// <summary>The inputs of native/tests/support.c: the reference runs all of them.</summary>
    public const int InputCount = 24;

    /// <summary>The reference region's map [0, alloc_cursor).</summary>
    public byte[] Map { get; }

    /// <summary>Edges set in <see cref="Map"/>.</summary>
    public long Covered { get; }

    /// <summary>Modules in the reference region's table (A and B).</summary>
    public int ModuleCount { get; }

    /// <summary>Asserts that <paramref name="region"/> holds exactly the reference's modules and map bytes.</summary>
    public void AssertSameUnion(CoverageRegion region)
    {
        Assert.Equal(ModuleCount, region.ModuleCount);
        Assert.Equal(0U, region.ModulesPrivate);
        Assert.Equal(Covered, region.CountCovered());
        Assert.True(region.Map.SequenceEqual(Map), "the region's map differs from the reference's");
    }
}
