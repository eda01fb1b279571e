using Memcov.SharedMem;

namespace Memcov.Cli.Tests;

/// <summary>The tests of the memcov command leave nothing behind: no directory, no file, no region.</summary>
public sealed class CliTestBaseTests
{
    [Fact]
    public void ATestsDirectory_AndItsRegions_AreRemovedWhenItEnds()
    {
        string file, region;
        using (var test = new Probe())
        {
            file = test.File("out.mcovmap");
            File.WriteAllText(file, "map");
            File.CreateSymbolicLink(test.File("link"), file);
            region = test.Name("probe");
            CoverageRegion.Create(region, 4096).Dispose();
        }

        string directory = Path.GetDirectoryName(file)!;
        Assert.StartsWith(CliTestBase.DirectoryPrefix, Path.GetFileName(directory));
        Assert.False(Directory.Exists(directory), $"'{directory}' is still there");
        Assert.False(CoverageRegion.Exists(region));
    }

    private sealed class Probe : CliTestBase
    {
        public string File(string name) => TempFile(name);

        public string Name(string tag) => NewName(tag);
    }
}
