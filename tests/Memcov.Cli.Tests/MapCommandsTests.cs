using System.Text.Json;
using Memcov.SharedMem;
using Memcov.SharedMem.Tests;
using static Memcov.Cli.Tests.CliHarness;

namespace Memcov.Cli.Tests;

/// <summary>stat, export, import, merge and diff on regions native workers filled.</summary>
public sealed class MapCommandsTests : CliTestBase
{
    private string Filled(string tag, int first, int count, bool bFirst = false)
    {
        string name = NewName(tag);
        NativeMemcov.CreateRegion(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, first, count, bFirst));
        return name;
    }

    [Fact]
    public async Task StatJson_ReportsWhatTheLibraryReads()
    {
        string name = Filled("stat", 0, 24);
        Result r = await Run("stat", name, "--json");
        Assert.Equal(0, r.Code);

        using JsonDocument json = JsonDocument.Parse(r.Out);
        using CoverageRegion region = CoverageRegion.Attach(name);
        JsonElement root = json.RootElement;
        Assert.Equal(name, root.GetProperty("name").GetString());
        Assert.Equal(region.CountCovered(), root.GetProperty("covered_edges").GetInt64());
        Assert.Equal(region.EdgesRegistered, root.GetProperty("registered_edges").GetInt64());
        Assert.Equal(1 << 16, root.GetProperty("capacity_edges").GetInt64());
        JsonElement[] modules = [.. root.GetProperty("modules").EnumerateArray()];
        Assert.Equal(2, modules.Length);
        Assert.Equal(region.CountCovered(), modules.Sum(m => m.GetProperty("covered").GetInt64()));
        Assert.EndsWith("libmcov_sample_a.so", modules[0].GetProperty("path").GetString());
    }

    [Fact]
    public async Task ExportMergeDiffImport_RoundTripExactly()
    {
        string all = Filled("all", 0, 24);
        string half1 = Filled("half1", 0, 12);
        string half2 = Filled("half2", 12, 12, bFirst: true);
        string exported = TempFile("all.mcovmap");
        string merged = TempFile("merged.mcovmap");

        Assert.Equal(0, (await Run("export", all, "-o", exported)).Code);
        Result merge = await Run("merge", half1, half2, "-o", merged);
        Assert.Equal(0, merge.Code);

        // The halves loaded their modules in other orders; matched by identity their union is the whole.
        Result diff = await Run("diff", exported, merged, "--json");
        Assert.Equal(0, diff.Code);
        using (JsonDocument d = JsonDocument.Parse(diff.Out))
        {
            Assert.Equal(0, d.RootElement.GetProperty("only_in_first").GetInt64());
            Assert.Equal(0, d.RootElement.GetProperty("only_in_second").GetInt64());
        }

        Result partial = await Run("diff", all, half1, "--json");
        using (JsonDocument d = JsonDocument.Parse(partial.Out))
        {
            using CoverageRegion a = CoverageRegion.Attach(all);
            using CoverageRegion h = CoverageRegion.Attach(half1);
            Assert.Equal(a.CountCovered() - h.CountCovered(), d.RootElement.GetProperty("only_in_first").GetInt64());
        }

        string target = NewName("imported");
        Result import = await Run("import", merged, target);
        Assert.Equal(0, import.Code);
        using (CoverageRegion source = CoverageRegion.Attach(all))
        using (CoverageRegion imported = CoverageRegion.Attach(target))
        {
            Assert.Equal(source.CountCovered(), imported.CountCovered());
            Assert.Contains($"imported {source.CountCovered()} new edge(s)", import.Out);
        }

        string again = TempFile("again.mcovmap");
        Assert.Equal(0, (await Run("export", target, "-o", again)).Code);
        Assert.Equal(CoverageMapFile.Load(exported).ToBytes(), CoverageMapFile.Load(again).ToBytes());
    }

    [Fact]
    public async Task CreateLsRm_ManageRegionsByName()
    {
        string name = NewName("managed");
        Result created = await Run("create", name, "--capacity", "5000");
        Assert.Equal(0, created.Code);
        Assert.Contains("8192 edge slots", created.Out);

        Result ls = await Run("ls", "--json");
        using (JsonDocument list = JsonDocument.Parse(ls.Out))
        {
            JsonElement mine = list.RootElement.EnumerateArray().Single(e => e.GetProperty("name").GetString() == name);
            Assert.Equal(8192, mine.GetProperty("capacity_edges").GetInt64());
            Assert.Equal(Environment.ProcessId, mine.GetProperty("creator_pid").GetInt64());
        }

        Assert.Equal(1, (await Run("create", name)).Code);
        Assert.Equal(0, (await Run("rm", name)).Code);
        Assert.False(CoverageRegion.Exists(name));
        Result missing = await Run("rm", name);
        Assert.Equal(1, missing.Code);
        Assert.Contains($"no region named '{name}'", missing.Err);
        Assert.Equal(0, (await Run("rm", "--force", name)).Code);
    }
}
