using System.Text.Json;
using Memcov.Cli.Reports;
using Memcov.SharedMem;
using Memcov.SharedMem.Tests;
using static Memcov.Cli.Tests.CliHarness;

namespace Memcov.Cli.Tests;

/// <summary>
/// Module paths and names read from region and map files reach the terminal with their control
/// characters escaped: a file cannot recolour the screen, ring the bell or forge a line.
/// </summary>
public sealed class UntrustedStringTests : CliTestBase
{
    private const string HostilePath = "/lib/\u001b[31m\u0007\u009b\u007f.so";

    private string RegionWithAHostileModulePath()
    {
        string name = NewName("hostile");
        using CoverageRegion region = CoverageRegion.Create(name, 1 << 16);
        var identity = new ModuleIdentity(ModuleIdKind.BuildId, "0123456789abcdef", 100, ModuleMode.Callback, 0);
        byte[] edges = new byte[100];
        edges[3] = edges[50] = 1;
        new CoverageMapFile([new MapModule(identity, HostilePath, edges)]).ImportInto(region);
        return name;
    }

    [Fact]
    public void Escape_ShowsC0C1AndDel_AndKeepsTheRest()
    {
        Assert.Equal(@"a\x1b[31mb\x07c\x9b\x7f\x0a\x00é", Printable.Escape("a\u001b[31mb\u0007c\u009b\u007f\n\0é"));
        Assert.Equal("/usr/lib/libz.so", Printable.Escape("/usr/lib/libz.so"));
    }

    [Fact]
    public async Task Stat_EscapesAModulePathFromTheRegion()
    {
        string name = RegionWithAHostileModulePath();
        Result r = await Run("stat", name);
        Assert.Equal(0, r.Code);
        AssertNoControlBytes(r.Out + r.Err);
        Assert.Contains(@"\x1b[31m\x07\x9b\x7f.so", r.Out);
    }

    [Fact]
    public async Task StatJson_EscapesThePath_AndReadsBackAsTheSameString()
    {
        string name = RegionWithAHostileModulePath();
        Result r = await Run("stat", name, "--json");
        Assert.Equal(0, r.Code);
        AssertNoControlBytes(r.Out);
        using JsonDocument json = JsonDocument.Parse(r.Out);
        Assert.Equal(HostilePath, json.RootElement.GetProperty("modules")[0].GetProperty("path").GetString());
    }

    [Fact]
    public async Task Diff_EscapesAModulePathFromAMapFile()
    {
        string name = RegionWithAHostileModulePath();
        string empty = NewName("empty");
        CoverageRegion.Create(empty, 1 << 16).Dispose();
        Result r = await Run("diff", name, empty);
        Assert.Equal(0, r.Code);
        AssertNoControlBytes(r.Out + r.Err);
        Assert.Contains(@"\x1b[31m\x07", r.Out);
    }

    [Fact]
    public async Task AnErrorMessage_EscapesTheNameItEchoes()
    {
        Result bad = await Run("stat", "\u001b[31mred\u0007");
        Assert.Equal(2, bad.Code);
        AssertNoControlBytes(bad.Err);
        Assert.Contains(@"'\x1b[31mred\x07'", bad.Err);

        Result missing = await Run("import", TempFile("no\u001b]0;title\u0007.mcovmap"), NewName("never"));
        Assert.Equal(1, missing.Code);
        AssertNoControlBytes(missing.Err);
        Assert.Contains(@"no\x1b]0;title\x07.mcovmap", missing.Err);
    }

    private static void AssertNoControlBytes(string text)
    {
        char bad = text.FirstOrDefault(c => c is (<= '\x1f' and not '\n' and not '\r') or (>= '\x7f' and <= '\x9f'));
        Assert.True(bad == default, $"a control character U+{(int)bad:X4} reached the output: {text}");
    }
}
