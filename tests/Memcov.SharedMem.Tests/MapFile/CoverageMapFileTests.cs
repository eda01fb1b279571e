namespace Memcov.SharedMem.Tests;

/// <summary>Map files: export, import, merge and diff matched by module identity, and damaged files refused.</summary>
public sealed class CoverageMapFileTests : RegionTestBase
{
    private string Filled(string tag, int first, int count, bool bFirst = false, long capacity = 1 << 16)
    {
        string name = NewName(tag);
        NativeMemcov.CreateRegion(name, (ulong)capacity);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, first, count, bFirst));
        return name;
    }

    private static CoverageMapFile Export(string region)
    {
        using CoverageRegion r = CoverageRegion.Attach(region);
        return CoverageMapFile.FromRegion(r);
    }

    private static void AssertSameCoverage(CoverageMapFile expected, CoverageMapFile actual)
    {
        var byId = actual.Modules.ToDictionary(m => m.Identity);
        Assert.Equal(expected.Modules.Count, actual.Modules.Count);
        foreach (MapModule m in expected.Modules)
        {
            Assert.True(byId.TryGetValue(m.Identity, out MapModule? other), $"{m.Identity} ({m.Path}) is missing");
            Assert.True(m.Map.Span.SequenceEqual(other.Map.Span), $"{m.Path} differs");
        }
    }

    [Fact]
    public void Export_RoundTripsThroughAFile_Exactly()
    {
        CoverageMapFile exported = Export(Filled("export", 0, 24));
        Assert.Equal(2, exported.Modules.Count);
        Assert.True(exported.CountCovered() > 50);

        string path = Path.Combine(Path.GetTempPath(), $"memcov-map-{Environment.ProcessId}-{Guid.NewGuid():N}.mcovmap");
        try
        {
            exported.Save(path);
            CoverageMapFile loaded = CoverageMapFile.Load(path);
            Assert.Equal(exported.ToBytes(), loaded.ToBytes());
            Assert.Equal(exported.Modules.Select(m => (m.Identity, m.Path)), loaded.Modules.Select(m => (m.Identity, m.Path)));
            AssertSameCoverage(exported, loaded);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Merge_OfHalvesLoadedInOtherOrders_EqualsOneProcessRunningEverything()
    {
        CoverageMapFile reference = Export(Filled("ref", 0, 24));
        CoverageMapFile half1 = Export(Filled("half1", 0, 12));
        CoverageMapFile half2 = Export(Filled("half2", 12, 12, bFirst: true));
        Assert.NotEqual(half1.Modules[0].Identity, half2.Modules[0].Identity); // loaded in the other order

        CoverageMapFile merged = CoverageMapFile.Merge([half1, half2]);

        AssertSameCoverage(reference, merged);
        Assert.Equal(reference.CountCovered(), merged.CountCovered());
        Assert.Empty(CoverageMapFile.Diff(reference, merged));
    }

    [Fact]
    public void Diff_GivesTheEdgesOnlyOneMapCovers()
    {
        CoverageMapFile all = Export(Filled("all", 0, 24));
        CoverageMapFile half = Export(Filled("half", 0, 6, bFirst: true));

        IReadOnlyList<ModuleDiff> diff = CoverageMapFile.Diff(all, half);

        Assert.Equal(all.CountCovered() - half.CountCovered(), diff.Sum(d => d.OnlyInFirst.Count));
        Assert.All(diff, d => Assert.Empty(d.OnlyInSecond));
        ModuleDiff first = diff[0];
        MapModule inAll = all.Modules.Single(m => m.Identity == first.Identity);
        MapModule inHalf = half.Modules.Single(m => m.Identity == first.Identity);
        Assert.All(first.OnlyInFirst, e => Assert.True(inAll.Map.Span[(int)e] != 0 && inHalf.Map.Span[(int)e] == 0));
        Assert.Equal(diff.Sum(d => d.OnlyInFirst.Count), CoverageMapFile.Diff(half, all).Sum(d => d.OnlyInSecond.Count));
    }

    [Fact]
    public void Import_IntoAnEmptyRegion_RegistersTheModules_SoNativeProcessesFindThem()
    {
        CoverageMapFile exported = Export(Filled("source", 0, 24));
        string target = NewName("target");
        using CoverageRegion region = CoverageRegion.Create(target, 1 << 16);

        Assert.Equal(exported.CountCovered(), exported.ImportInto(region));
        Assert.Equal(2, region.ModuleCount);
        Assert.Equal(exported.CountCovered(), region.CountCovered());
        Assert.Equal(exported.Modules.Sum(m => m.Identity.EdgeCount), region.EdgesRegistered);
        Assert.Equal(exported.RequiredCapacityEdges, region.AllocCursor);
        AssertSameCoverage(exported, CoverageMapFile.FromRegion(region));

        // A native worker loading the modules in the other order finds their ranges and adds nothing new.
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(target, 0, 24, bFirst: true));
        Assert.Equal(2, region.ModuleCount);
        Assert.Equal(exported.CountCovered(), region.CountCovered());

        // Importing again changes nothing.
        Assert.Equal(0, exported.ImportInto(region));
    }

    [Fact]
    public void Import_IntoARegionTooSmall_WritesNothing()
    {
        CoverageMapFile exported = Export(Filled("big", 0, 24));
        using CoverageRegion small = CoverageRegion.Create(NewName("small"), 4096);
        var e = Assert.Throws<RegionTooSmallException>(() => exported.ImportInto(small));
        Assert.True(e.NeededEdges >= 8192);
        Assert.Equal(0, small.ModuleCount);
        Assert.Equal(0, small.AllocCursor);
    }

    [Fact]
    public void Parse_RefusesDamagedFiles_WithTheReason()
    {
        byte[] good = Export(Filled("bytes", 0, 24)).ToBytes();

        byte[] flipped = (byte[])good.Clone();
        flipped[^20] ^= 1;
        Assert.Contains("checksum", Assert.Throws<MapFileCorruptException>(() => CoverageMapFile.Parse(flipped, "flipped")).Message);

        Assert.Contains("does not match", Assert.Throws<MapFileCorruptException>(() => CoverageMapFile.Parse(good[..^1], "cut")).Message);
        Assert.Contains("MCOVMAPF", Assert.Throws<MapFileCorruptException>(() => CoverageMapFile.Parse("NOTAMAP!"u8.ToArray(), "other")).Message);
        Assert.Contains("truncated or corrupt", Assert.Throws<MapFileCorruptException>(() => CoverageMapFile.Parse([.. "MCOVBLOB"u8, .. new byte[32]], "blob")).Message);

        byte[] version = (byte[])good.Clone();
        version[8] = 3;
        Assert.Contains("version 3", Assert.Throws<MapFileCorruptException>(() => CoverageMapFile.Parse(version, "v3")).Message);
    }

    [Fact]
    public void AMapFile_NeverHoldsOneModuleTwice()
    {
        MapModule m = Export(Filled("twice", 0, 24)).Modules[0];
        Assert.Throws<ArgumentException>(() => new CoverageMapFile([m, m]));
    }

    [Theory]
    [InlineData("", 10)]
    [InlineData("abc", 10)]
    [InlineData("zz", 10)]
    [InlineData("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff00", 10)]
    [InlineData("0011", 0)]
    [InlineData("0011", (1L << 32) + 1)]
    public void ModuleIdentity_RefusesWhatCouldNotBeWrittenAndReadBack(string id, long edges)
    {
        Assert.Throws<ArgumentException>(() => new ModuleIdentity(ModuleIdKind.BuildId, id, edges, ModuleMode.Callback, 0));
    }

    [Fact]
    public void AHitIsOne_InAMapModule_AndAMapFileWithOtherBytesIsRefused()
    {
        var id = new ModuleIdentity(ModuleIdKind.PathHash, "0102030405060708", 4, ModuleMode.Callback, 99);
        var module = new MapModule(id, "/lib/x.so", [0xFE, 0, 7, 1]);
        Assert.Equal(new byte[] { 1, 0, 1, 1 }, module.Map.ToArray());

        byte[] file = new CoverageMapFile([module]).ToBytes();
        Assert.Equal(3, CoverageMapFile.Parse(file, "ok").CountCovered());

        // A 2 in the edges (after the 64-byte header and one 320-byte module record), with the
        // checksum made to match: refused for the byte, not the checksum.
        file[64 + 320] = 2;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(file.AsSpan(file.Length - 8), Fnv1a64.Hash(file.AsSpan(0, file.Length - 8)));
        var e = Assert.Throws<MapFileCorruptException>(() => CoverageMapFile.Parse(file, "two"));
        Assert.Contains("neither 0 nor 1", e.Message);
    }
}
