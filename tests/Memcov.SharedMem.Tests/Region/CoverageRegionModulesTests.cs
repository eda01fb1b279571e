namespace Memcov.SharedMem.Tests;

/// <summary>The module table, per-module views, snapshots, reset and a region too small, on regions native workers filled.</summary>
public sealed class CoverageRegionModulesTests : RegionTestBase
{
    private string Filled(string tag, long capacity = 1 << 16, bool bFirst = false)
    {
        string name = NewName(tag);
        NativeMemcov.CreateRegion(name, (ulong)capacity);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 24, bFirst));
        return name;
    }

    [Fact]
    public void Modules_ListTheSamples_WithDisjointAlignedRanges_ThatPartitionTheCount()
    {
        using CoverageRegion region = CoverageRegion.Attach(Filled("modules"));
        IReadOnlyList<RegionModule> modules = region.Modules;

        Assert.Equal(2, modules.Count);
        Assert.EndsWith("libmcov_sample_a.so", modules[0].Path);
        Assert.EndsWith("libmcov_sample_b.so", modules[1].Path);
        Assert.Equal(0, modules[0].Base);
        Assert.Equal([0, 1], modules.Select(m => m.Index));
        foreach (RegionModule m in modules)
        {
            Assert.Equal(ModuleMode.Callback, m.Mode);
            Assert.True(m.IdKind is ModuleIdKind.BuildId or ModuleIdKind.PathHash);
            Assert.NotEmpty(m.Id);
            Assert.Equal(0, m.Base % RegionFormat.EdgeAlign);
            Assert.True(m.EdgeCount > 0 && m.FileSize > 0);
            Assert.True(region.CountCovered(m) > 0, $"{m.Path} has no covered edge");
            Assert.Equal(m.EdgeCount, region.GetModuleMap(m).Length);
        }

        Assert.True(modules[1].Base >= modules[0].Base + modules[0].EdgeCount);
        Assert.Equal(modules.Sum(m => m.EdgeCount), region.EdgesRegistered);
        Assert.Equal(region.CountCovered(), modules.Sum(region.CountCovered));
    }

    [Fact]
    public void Modules_AreFoundByIdentity_WhateverOrderTheyLoadedIn()
    {
        using CoverageRegion aFirst = CoverageRegion.Attach(Filled("a-first"));
        using CoverageRegion bFirst = CoverageRegion.Attach(Filled("b-first", bFirst: true));

        RegionModule[] a = [.. aFirst.Modules.OrderBy(m => m.Path, StringComparer.Ordinal)];
        RegionModule[] b = [.. bFirst.Modules.OrderBy(m => m.Path, StringComparer.Ordinal)];
        Assert.Equal(a.Select(m => (m.Id, m.EdgeCount)), b.Select(m => (m.Id, m.EdgeCount)));
        Assert.NotEqual(a.Select(m => m.Base), b.Select(m => m.Base));
        for (int i = 0; i < a.Length; i++)
        {
            Assert.True(aFirst.GetModuleMap(a[i]).SequenceEqual(bFirst.GetModuleMap(b[i])), $"{a[i].Path} differs");
        }
    }

    [Fact]
    public void GetModuleMap_RefusesAModuleOutsideTheRegion()
    {
        using CoverageRegion region = CoverageRegion.Attach(Filled("bounds"));
        RegionModule m = region.Modules[0];
        var outside = m with { Base = region.CapacityEdges };
        Assert.Throws<ArgumentException>(() => region.GetModuleMap(outside));
        Assert.Throws<ArgumentException>(() => region.CountCovered(m with { EdgeCount = region.CapacityEdges + 1 }));
        Assert.Throws<ArgumentNullException>(() => region.CountCovered(null!));
    }

    [Fact]
    public void Snapshot_IsAStableCopy_ThatResetDoesNotTouch()
    {
        string name = Filled("snapshot");
        using CoverageRegion region = CoverageRegion.Attach(name);
        long covered = region.CountCovered();

        using var snapshot = region.Snapshot();
        Assert.True(snapshot.Span.SequenceEqual(region.Map));

        region.Reset();
        Assert.Equal(0, region.CountCovered());
        Assert.Equal(2, region.ModuleCount);
        Assert.Equal(covered, snapshot.Length - snapshot.Span.Count((byte)0));

        // The modules keep their ranges: the same inputs record the same map again.
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 24));
        Assert.Equal(2, region.ModuleCount);
        Assert.True(snapshot.Span.SequenceEqual(region.Map), "after reset the same inputs gave another map");
    }

    [Fact]
    public void Reset_ClearsTheMapForEveryProcess_ButNotTheTable()
    {
        string name = Filled("reset");
        using CoverageRegion writer = CoverageRegion.Attach(name);
        using CoverageRegion reader = CoverageRegion.Attach(name);
        long cursor = reader.AllocCursor;
        writer.Reset();
        Assert.Equal(0, reader.CountCovered());
        Assert.Equal(cursor, reader.AllocCursor);
        Assert.Equal(2, reader.Modules.Count);
    }

    [Fact]
    public void DangerousGetWritableMap_WritesAreSeenByOtherViews()
    {
        string name = Filled("writable");
        using CoverageRegion a = CoverageRegion.Attach(name);
        using CoverageRegion b = CoverageRegion.Attach(name);
        RegionModule m = a.Modules[0];
        int slot = (int)(m.Base + m.EdgeCount - 1);
        long before = b.CountCovered();
        bool wasSet = b.Map[slot] != 0;

        a.DangerousGetWritableMap()[slot] = 1;
        Assert.Equal(before + (wasSet ? 0 : 1), b.CountCovered());
        a.DangerousGetWritableMap().Clear();
        Assert.Equal(0, b.CountCovered());
    }

    [Fact]
    public void ThrowIfTooSmall_NamesACapacityThatHoldsEveryModule()
    {
        // 4096 slots hold one sample; the second records privately in the worker.
        using CoverageRegion small = CoverageRegion.Attach(Filled("small", capacity: 4096));
        Assert.Equal(1, small.ModuleCount);
        Assert.Equal(1, small.ModulesPrivate);
        Assert.True(small.EdgesDropped > 0);
        Assert.True(small.CountCovered() > 0, "the module that fitted recorded nothing");

        var e = Assert.Throws<RegionTooSmallException>(small.ThrowIfTooSmall);
        Assert.Equal(small.Name, e.Name);
        Assert.Equal(4096, e.CapacityEdges);
        Assert.Contains($"at least {e.NeededEdges} edges", e.Message);

        using CoverageRegion big = CoverageRegion.Attach(Filled("big-enough", capacity: e.NeededEdges));
        big.ThrowIfTooSmall();
        Assert.Equal(2, big.ModuleCount);
    }

    [Theory]
    [InlineData("inline")]
    [InlineData("mixed")]
    public void NoCallModules_AreReadLikeCallbackOnes_AndTheirUnionIsExact(string samples)
    {
        string reference = NewName($"{samples}-ref");
        NativeMemcov.CreateRegion(reference, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(reference, 0, 24, samples: samples));

        string union = NewName($"{samples}-union");
        using CoverageRegion region = CoverageRegion.Create(union, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(union, 0, 12, samples: samples));
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(union, 12, 12, bFirst: true, samples: samples));

        using CoverageRegion expected = CoverageRegion.Attach(reference);
        RegionModule[] modules = [.. region.Modules];
        Assert.Equal(2, modules.Length);
        Assert.Equal(ModuleMode.Inline, modules[1].Mode);
        Assert.Equal(samples == "inline" ? ModuleMode.Inline : ModuleMode.Callback, modules[0].Mode);
        Assert.True(expected.CountCovered() > 50);
        Assert.True(expected.Map.SequenceEqual(region.Map), "the no-call union differs from one worker running every input");
        Assert.Equal(region.CountCovered(), modules.Sum(region.CountCovered));
    }

    [Fact]
    public void ThrowIfTooSmall_DoesNotCountOneModuleOncePerProcess()
    {
        // Four workers each drop the same module; a capacity for one more module is enough.
        string name = NewName("small4");
        NativeMemcov.CreateRegion(name, 4096);
        var workers = Enumerable.Range(0, 4).Select(i => NativeMemcov.StartWorker(name, i * 6, 6)).ToList();
        workers.ForEach(NativeMemcov.WaitOk);
        using CoverageRegion small = CoverageRegion.Attach(name);
        Assert.Equal(4, small.ModulesPrivate);

        var e = Assert.Throws<RegionTooSmallException>(small.ThrowIfTooSmall);
        Assert.Equal(8192, e.NeededEdges);
        using CoverageRegion big = CoverageRegion.Attach(Filled("fits", capacity: e.NeededEdges));
        big.ThrowIfTooSmall();
    }
}
