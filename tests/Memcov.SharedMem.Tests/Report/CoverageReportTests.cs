namespace Memcov.SharedMem.Tests;

/// <summary>
/// PC tables from a region through map files, and the report they make: the fixtures' functions at
/// their source lines, covered as the region says, for a region whose writers have exited, with a
/// moved binary found by build-id, and with one clear line for a module that cannot be named.
/// </summary>
public sealed class CoverageReportTests : RegionTestBase
{
    private readonly string _work = Directory.CreateTempSubdirectory("memcov-report-").FullName;

    protected override void Cleanup() => Directory.Delete(_work, recursive: true);

    private CoverageMapFile Filled(string tag, int first, int count, string samples = "callback")
    {
        string name = NewName(tag);
        NativeMemcov.CreateRegion(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, first, count, samples: samples));
        using CoverageRegion r = CoverageRegion.Attach(name);
        return CoverageMapFile.FromRegion(r);
    }

    [Theory]
    [InlineData("callback")]
    [InlineData("inline")]
    public void PcTables_GoFromTheRegionThroughMapFilesMergesAndImports(string samples)
    {
        CoverageMapFile map = Filled("pcs", 0, 24, samples);
        Assert.Equal(2, map.Modules.Count);
        foreach (MapModule m in map.Modules)
        {
            Assert.True(m.PcTable is { } t && t.Length == m.Identity.EdgeCount, $"{m.Path} has no PC table of {m.Identity.EdgeCount} entries");
            Assert.Contains(m.PcTable!.Value.ToArray(), e => e.IsFunctionEntry);
        }

        CoverageMapFile parsed = CoverageMapFile.Parse(map.ToBytes(), "map");
        CoverageMapFile merged = CoverageMapFile.Merge([new CoverageMapFile(map.Modules.Select(m => new MapModule(m.Identity, m.Path, m.Map.ToArray()))), map]);
        foreach (CoverageMapFile copy in new[] { parsed, merged })
        {
            Assert.Equal(map.Modules.Select(m => m.PcTable!.Value.ToArray()), copy.Modules.Select(m => m.PcTable!.Value.ToArray()));
        }

        string into = NewName("pcs-import");
        using (CoverageRegion region = CoverageRegion.Create(into, 1 << 16))
        {
            map.ImportInto(region);
        }

        using CoverageRegion imported = CoverageRegion.Attach(into);
        Assert.Equal(map.Modules.Select(m => m.PcTable!.Value.ToArray()),
            imported.Modules.Select(m => imported.GetPcTable(m)));
    }

    [Fact]
    public void ADamagedPcFile_IsRefused_AndTheRegionStillExportsEveryEdge()
    {
        string name = NewName("badpc");
        NativeMemcov.CreateRegion(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 24));
        foreach (string pcs in Directory.EnumerateFiles(RegionName.GetDirectory(), $".memcov-pcs-{name}-*"))
        {
            byte[] bytes = File.ReadAllBytes(pcs);
            bytes[^100] ^= 0x40;
            File.WriteAllBytes(pcs, bytes);
        }

        using CoverageRegion region = CoverageRegion.Attach(name);
        Assert.Throws<InvalidDataException>(() => region.GetPcTable(region.Modules[0]));
        Assert.False(region.TryGetPcTable(region.Modules[0], out _, out string? problem));
        Assert.Contains("PC file", problem, StringComparison.Ordinal);
        CoverageMapFile map = CoverageMapFile.FromRegion(region);
        Assert.Equal(region.CountCovered(), map.CountCovered());
        Assert.All(map.Modules, m => Assert.Null(m.PcTable));
    }

    [Fact]
    public void Report_NamesTheFixturesFunctions_CoveredAsTheRegionSays()
    {
        CoverageMapFile map = Filled("report", 0, 24);
        CoverageReport report = CoverageReport.Create(map);
        Assert.All(report.Modules, m => Assert.Null(m.Problem));
        Assert.Equal(map.CountCovered(), report.Covered);
        Assert.Equal(map.EdgeCount, report.Edges);

        // Every edge has a line in one of the fixtures' files, and the files' sums are the modules'.
        Assert.Equal(["sample_a.c", "sample_b.c"], report.Files.Select(f => Path.GetFileName(f.Path)).Order());
        Assert.Equal(report.Edges, report.Files.Sum(f => f.Edges));
        Assert.Equal(report.Covered, report.Files.Sum(f => f.Covered));
        FunctionCoverage run = Assert.Single(report.AllFunctions, f => f.Name == "sample_a_run");
        Assert.True(run.Covered > 0 && run.Line > 0, $"sample_a_run: {run}");
        Assert.Contains(report.AllFunctions, f => f.Status is FunctionStatus.None or FunctionStatus.Partial);
        Assert.All(report.Files, f => Assert.NotNull(f.Source));
        Assert.All(report.Files, f => Assert.Equal(f.Covered > 0, f.LinesCovered > 0));
    }

    [Fact]
    public void DiffFunctions_OfMoreInputs_ReachesFunctionsAndLosesNone()
    {
        CoverageReport few = CoverageReport.Create(Filled("few", 0, 2));
        CoverageReport all = CoverageReport.Create(Filled("all", 0, 24));
        FunctionDiff diff = CoverageReport.DiffFunctions(few, all);
        Assert.Empty(diff.Lost);
        Assert.NotEmpty(diff.Reached);
        Assert.All(diff.Reached, c => Assert.True(c.First == 0 && c.Second > 0, c.ToString()));
        Assert.Equal(diff.Reached, CoverageReport.DiffFunctions(all, few).Lost.Select(c => c with { First = c.Second, Second = c.First }));
    }

    [Fact]
    public void Report_OfMovedBinary_FindsItByBuildIdOrSaysWhereItLooked()
    {
        CoverageMapFile map = Filled("moved", 0, 24);
        MapModule a = map.Modules.Single(m => m.Path.EndsWith("libmcov_sample_a.so", StringComparison.Ordinal));
        Assert.Equal(ModuleIdKind.BuildId, a.Identity.Kind);
        var moved = new MapModule(a.Identity, Path.Combine(_work, "gone", "libmcov_sample_a.so"), a.Map.ToArray(), a.PcTable!.Value.ToArray());
        var bare = new MapModule(a.Identity, a.Path, a.Map.ToArray());

        CoverageReport lost = CoverageReport.Create(new CoverageMapFile([moved]));
        Assert.Contains("is not at", lost.Modules[0].Problem, StringComparison.Ordinal);
        Assert.Empty(lost.Files);
        CoverageReport noTable = CoverageReport.Create(new CoverageMapFile([bare]));
        Assert.Contains("no PC table", noTable.Modules[0].Problem, StringComparison.Ordinal);
        Assert.Empty(noTable.Files);

        string debug = Path.Combine(_work, "debug", ".build-id", a.Identity.Id[..2]);
        Directory.CreateDirectory(debug);
        File.Copy(a.Path, Path.Combine(debug, a.Identity.Id[2..] + ".debug"));
        var options = new ReportOptions();
        options.DebugDirectories.Add(Path.Combine(_work, "debug"));
        CoverageReport found = CoverageReport.Create(new CoverageMapFile([moved]), options);
        Assert.Null(found.Modules[0].Problem);
        Assert.Equal(a.CountCovered(), found.Files.Sum(f => f.Covered));
    }

    [Fact]
    public void Report_ReadsMovedSources_ThroughSourceRoots()
    {
        CoverageMapFile map = Filled("roots", 0, 4);
        SourceFileCoverage file = CoverageReport.Create(map).Files[0];
        string copy = Path.Combine(_work, "src");
        Directory.CreateDirectory(copy);
        File.Copy(file.Path, Path.Combine(copy, Path.GetFileName(file.Path)));
        var options = new ReportOptions();
        options.SourceRoots.Add((Path.GetDirectoryName(file.Path)!, copy));
        Assert.Equal(Path.Combine(copy, Path.GetFileName(file.Path)),
            CoverageReport.Create(map, options).Files.Single(f => f.Path == file.Path).Source);
    }
}
