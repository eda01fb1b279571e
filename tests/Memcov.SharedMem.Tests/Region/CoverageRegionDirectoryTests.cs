using System.Buffers.Binary;

namespace Memcov.SharedMem.Tests;

/// <summary>Create, List and their errors in a region directory of the test's own.</summary>
[Collection(PrivateShmDirCollection.Name)]
public sealed class CoverageRegionDirectoryTests
{
    [Fact]
    public void Create_LeavesOnlyTheRegionAndItsLanesFile_NoTemporaryFile()
    {
        using var dir = new PrivateShmDir();
        using (CoverageRegion.Create("one", 4096))
        {
        }

        Assert.Throws<RegionExistsException>(() => CoverageRegion.Create("one", 4096));
        string[] files = [.. Directory.EnumerateFileSystemEntries(dir.Path).Select(p => Path.GetFileName(p)!).Order(StringComparer.Ordinal)];
        Assert.Equal(2, files.Length);
        Assert.Matches("^\\.memcov-lanes-one-[0-9a-f]{16}$", files[0]);
        Assert.Equal("memcov-one", files[1]);

        CoverageRegion.Remove("one");
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void Create_InAMissingDirectory_SaysWhichVariableToSet()
    {
        using var dir = new PrivateShmDir();
        Environment.SetEnvironmentVariable(RegionName.DirectoryVariable, Path.Combine(dir.Path, "missing"));
        var e = Assert.Throws<DirectoryNotFoundException>(() => CoverageRegion.Create("r", 4096));
        Assert.Contains(RegionName.DirectoryVariable, e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => CoverageRegion.List());
        Assert.Throws<RegionNotFoundException>(() => CoverageRegion.Attach("r"));
    }

    [Fact]
    public void List_GivesEachRegionsHeaderFacts_AndWhyABadFileIsNotOne()
    {
        using var dir = new PrivateShmDir();
        using CoverageRegion a = CoverageRegion.Create("alpha", 4096);
        using CoverageRegion b = CoverageRegion.Create("beta", 10_000);
        byte[] bad = new byte[300];
        "NOTAREGN"u8.CopyTo(bad);
        File.WriteAllBytes(Path.Combine(dir.Path, "memcov-gamma"), bad);
        File.WriteAllBytes(Path.Combine(dir.Path, "memcov-.not-a-name"), bad);
        File.WriteAllBytes(Path.Combine(dir.Path, "unrelated"), bad);

        IReadOnlyList<RegionSummary> list = CoverageRegion.List();

        Assert.Equal(["alpha", "beta", "gamma"], list.Select(s => s.Name));
        RegionSummary beta = list[1];
        Assert.True(beta.IsValid);
        Assert.Equal(RegionFormat.Version, beta.Version);
        Assert.Equal(12_288, beta.CapacityEdges);
        Assert.Equal(Environment.ProcessId, beta.CreatorPid);
        Assert.Equal(b.CreatedAt, beta.CreatedAt);
        Assert.Equal(Path.Combine(dir.Path, "memcov-beta"), beta.Path);
        RegionSummary gamma = list[2];
        Assert.False(gamma.IsValid);
        Assert.Contains("magic", gamma.Problem);
    }

    [Fact]
    public void List_ReadsTheCountersNativeProcessesWrote()
    {
        using var dir = new PrivateShmDir();
        using CoverageRegion region = CoverageRegion.Create("filled", 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker("filled", 0, 24));

        RegionSummary summary = Assert.Single(CoverageRegion.List());
        Assert.Equal(2, summary.ModuleCount);
        Assert.Equal(region.AllocCursor, summary.AllocCursor);
        Assert.Equal(region.Modules.Sum(m => m.EdgeCount), summary.EdgesRegistered);
        Assert.Equal(0, summary.EdgesDropped);
    }

    [Fact]
    public void Attach_SaysTruncated_ForAFileCutAfterTheHeader()
    {
        using var dir = new PrivateShmDir();
        using (CoverageRegion.Create("cut", 4096))
        {
        }

        string path = Path.Combine(dir.Path, "memcov-cut");
        using (var stream = new FileStream(path, FileMode.Open))
        {
            stream.SetLength(RegionFormat.MapOffset + 100);
        }

        Assert.Contains("truncated", Assert.Throws<RegionCorruptException>(() => CoverageRegion.Attach("cut")).Message);
        Assert.Contains("truncated", CoverageRegion.List().Single().Problem);
        Assert.Equal(4096UL, BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(path).AsSpan(24)));
    }
}
