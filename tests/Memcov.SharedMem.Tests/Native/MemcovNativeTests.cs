using System.Buffers.Binary;

namespace Memcov.SharedMem.Tests;

/// <summary>
/// The test host's own runtime attaches and detaches here, so these tests run alone: a parallel
/// NativeMemcov.CreateRegion would move the attachment under them. The host loads no instrumented
/// module, so attaching it never adds modules to a region.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostRuntimeCollection
{
    public const string Name = "the test host's runtime";
}

[Collection(HostRuntimeCollection.Name)]
public sealed class MemcovNativeTests : RegionTestBase
{
    public MemcovNativeTests() => NativeMemcov.Load();

    [Fact]
    public void LibraryPath_IsTheCopyLoadedAlready()
    {
        Assert.Equal(RepoPaths.NativeLibrary, MemcovNative.LibraryPath);
    }

    [Fact]
    public void GetNow_OfTheAttachedHost_EqualsTheUnionCountedFromTheFile()
    {
        string name = NewName("now");
        NativeMemcov.CreateRegion(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, NativeReference.InputCount));

        MemcovNative.Attach(name);
        try
        {
            Assert.True(MemcovNative.IsAttached);
            Assert.Equal(name, MemcovNative.RegionName);
            Assert.Equal(0, MemcovNative.ModuleCount);

            using CoverageRegion region = CoverageRegion.Attach(name);
            Assert.True(region.CountCovered() > 50, $"the worker covered only {region.CountCovered()} edges");
            Assert.Equal(region.CountCovered(), MemcovNative.GetNow());
            Assert.Equal(region.AllocCursor, MemcovNative.GetTotal());

            byte[] hitmap = new byte[MemcovNative.GetTotal() + 16];
            Assert.Equal(region.AllocCursor, MemcovNative.CopyHitmap(hitmap));
            Assert.True(hitmap.AsSpan(0, (int)region.AllocCursor).SequenceEqual(region.Map), "the hitmap differs from the map");
        }
        finally
        {
            MemcovNative.Detach();
        }

        Assert.False(MemcovNative.IsAttached);
        Assert.Equal(string.Empty, MemcovNative.RegionName);
        Assert.Equal(0, MemcovNative.GetNow());
    }

    [Fact]
    public void CreateRegion_AttachesTheHostAndSetsMemcovRegion_RemoveRegionUndoesBoth()
    {
        string name = NewName("create");
        MemcovNative.CreateRegion(name, 5000);
        try
        {
            Assert.True(MemcovNative.IsAttached);
            Assert.Equal(name, MemcovNative.RegionName);
            Assert.Equal(name, Environment.GetEnvironmentVariable(MemcovNative.RegionVariable));
            using CoverageRegion region = CoverageRegion.Attach(name);
            Assert.Equal(8192, region.CapacityEdges);
        }
        finally
        {
            MemcovNative.Detach();
        }

        Assert.True(MemcovNative.RemoveRegion(name));
        Assert.False(CoverageRegion.Exists(name));
        Assert.Null(Environment.GetEnvironmentVariable(MemcovNative.RegionVariable));
        Assert.False(MemcovNative.RemoveRegion(name));
    }

    [Fact]
    public void CreateRegion_ThrowsRegionExists_WhenTheRegionExists_AndLeavesItAlone()
    {
        string name = NewName("exists");
        NativeMemcov.CreateRegion(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 4));
        using CoverageRegion region = CoverageRegion.Attach(name);
        long covered = region.CountCovered();

        var e = Assert.Throws<RegionExistsException>(() => MemcovNative.CreateRegion(name, 4096));
        Assert.Equal(name, e.Name);
        Assert.Contains("already exists", e.Message);
        Assert.Contains("exists already", MemcovNative.LastError);
        Assert.False(MemcovNative.IsAttached);
        Assert.Equal(1 << 16, region.CapacityEdges);
        Assert.Equal(covered, region.CountCovered());
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData((1L << 32) + 1)]
    public void CreateRegion_ThrowsArgumentOutOfRange_ForACapacityOutside1To2Pow32(long capacity)
    {
        string name = NewName("capacity");
        Assert.Throws<ArgumentOutOfRangeException>(() => MemcovNative.CreateRegion(name, capacity));
        Assert.False(CoverageRegion.Exists(name));
    }

    [Theory]
    [InlineData("")]
    [InlineData("has/slash")]
    [InlineData(".hidden")]
    [InlineData("nul\0inside")]
    public void Calls_ThrowArgumentException_ForANameThatBreaksTheRule(string name)
    {
        Assert.Throws<ArgumentException>(() => MemcovNative.Attach(name));
        Assert.Throws<ArgumentException>(() => MemcovNative.CreateRegion(name, 4096));
        Assert.Throws<ArgumentException>(() => MemcovNative.ResetRegion(name));
        Assert.Throws<ArgumentException>(() => MemcovNative.RemoveRegion(name));
        Assert.Throws<ArgumentNullException>(() => MemcovNative.Attach(null!));
    }

    [Fact]
    public void Attach_ThrowsRegionNotFound_WithTheRuntimesMessage_AndStaysDetached()
    {
        string name = NewName("missing");
        var e = Assert.Throws<RegionNotFoundException>(() => MemcovNative.Attach(name));
        Assert.Equal(name, e.Name);
        Assert.Equal(RegionName.GetPath(name), e.Path);
        Assert.Equal(MemcovNative.LastError, e.Message);
        Assert.Contains("create it first", e.Message);
        Assert.False(MemcovNative.IsAttached);
        Assert.Throws<RegionNotFoundException>(() => MemcovNative.ResetRegion(name));
    }

    [Fact]
    public void Attach_ThrowsRegionCorrupt_ForAFileThatIsNotARegion()
    {
        string name = NewName("corrupt");
        string path = RegionName.GetPath(name);
        File.WriteAllBytes(path, new byte[RegionFormat.MapOffset + RegionFormat.EdgeAlign]);
        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var e = Assert.Throws<RegionCorruptException>(() => MemcovNative.Attach(name));
        Assert.Equal(path, e.Path);
        Assert.Contains("bad magic", e.Message);
        Assert.False(MemcovNative.IsAttached);
    }

    [Fact]
    public void Attach_ThrowsRegionFormat_WithTheFilesVersion()
    {
        string name = NewName("version");
        NativeMemcov.CreateRegion(name, 4096);
        string path = RegionName.GetPath(name);
        using (var file = File.OpenHandle(path, FileMode.Open, FileAccess.ReadWrite))
        {
            Span<byte> version = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(version, 7);
            RandomAccess.Write(file, version, 8);
        }

        var e = Assert.Throws<RegionFormatException>(() => MemcovNative.Attach(name));
        Assert.Equal(RegionFormat.Version, e.Expected);
        Assert.Equal(7, e.Actual);
        Assert.Equal(MemcovNative.LastError, e.Message);
    }

    [Fact]
    public void Attach_ThrowsUnauthorizedAccess_ForASymlinkAtThePath()
    {
        string target = NewName("target");
        string name = NewName("link");
        NativeMemcov.CreateRegion(target, 4096);
        File.CreateSymbolicLink(RegionName.GetPath(name), RegionName.GetPath(target));

        Assert.Throws<UnauthorizedAccessException>(() => MemcovNative.Attach(name));
        Assert.False(MemcovNative.IsAttached);
    }

    [Fact]
    public void ResetRegion_ClearsEveryProcesssEdges_AndKeepsTheModuleTable()
    {
        string name = NewName("reset");
        NativeMemcov.CreateRegion(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, NativeReference.InputCount));
        using CoverageRegion region = CoverageRegion.Attach(name);
        Assert.True(region.CountCovered() > 0);

        MemcovNative.ResetRegion(name);

        Assert.Equal(0, region.CountCovered());
        Assert.Equal(2, region.ModuleCount);
        Assert.Equal(2 * RegionFormat.EdgeAlign, region.AllocCursor);
    }

    [Fact]
    public void PopCoverage_Throws_WithoutAPush_AndPairsWithPush()
    {
        MemcovNative.PushCoverage();
        MemcovNative.PopCoverage();
        Assert.Equal(string.Empty, MemcovNative.LastError);

        var e = Assert.Throws<InvalidOperationException>(MemcovNative.PopCoverage);
        Assert.Contains("without a matching push", e.Message);
    }
}
