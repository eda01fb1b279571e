namespace Memcov.SharedMem.Tests;

/// <summary>
/// Regions filled by .NET child processes (tests/Memcov.TestChild) that load the instrumented
/// samples and join through MemcovNative or MEMCOV_REGION, read while the children still run.
/// </summary>
public sealed class DotnetChildTests(NativeReference reference) : RegionTestBase, IClassFixture<NativeReference>
{
    [Fact]
    public void Region_HoldsTheChildsEdges_WhileItWaits_ExactlyAsANativeProcessRunningTheSameInputs()
    {
        string name = NewName("live");
        NativeMemcov.CreateRegion(name, 1 << 16);

        using var child = DotnetChild.Start(["--attach", name, "--threads", "4"]);
        DotnetChild.ReadyLine ready = child.WaitReady();

        using (CoverageRegion region = CoverageRegion.Attach(name))
        {
            reference.AssertSameUnion(region);

            // The child's runtime counts the same union that the .NET side counts in the file.
            Assert.True(ready.Attached);
            Assert.Equal(name, ready.Region);
            Assert.Equal(region.CountCovered(), ready.Now);
            Assert.Equal(2, ready.Modules);
            Assert.Equal(0, ready.Private);
            Assert.Equal(RepoPaths.NativeLibrary, ready.Library);
        }

        child.Release();
    }

    [Fact]
    public void Child_BindsToTheRuntimeItsModulesLoaded_EvenWhenMemcovLibraryNamesAnotherCopy()
    {
        string name = NewName("loaded");
        NativeMemcov.CreateRegion(name, 1 << 16);

        // The samples pull the release build's libmemcov.so; MEMCOV_LIBRARY names the published
        // copy. Binding to that second copy would attach a runtime that records nothing.
        using var child = DotnetChild.Start(
            ["--attach", name],
            new Dictionary<string, string> { [MemcovNative.LibraryVariable] = RepoPaths.PublishedLibrary });
        DotnetChild.ReadyLine ready = child.WaitReady();

        Assert.Equal(RepoPaths.NativeLibrary, ready.Library);
        using (CoverageRegion region = CoverageRegion.Attach(name))
        {
            reference.AssertSameUnion(region);
            Assert.Equal(region.CountCovered(), ready.Now);
        }

        child.Release();
        Assert.Contains($"memcov: {MemcovNative.LibraryVariable} is {RepoPaths.PublishedLibrary}", child.Stderr);
    }

    [Fact]
    public void Child_LoadsMemcovLibrary_WhenNoCopyIsLoaded_AndItsModulesBindToThatCopy()
    {
        string name = NewName("preload");
        NativeMemcov.CreateRegion(name, 1 << 16);

        // Attach first: MemcovNative loads MEMCOV_LIBRARY, then the samples find it by soname.
        using var child = DotnetChild.Start(
            ["--attach", name, "--attach-before-load", "--threads", "2"],
            new Dictionary<string, string> { [MemcovNative.LibraryVariable] = RepoPaths.PublishedLibrary });
        DotnetChild.ReadyLine ready = child.WaitReady();

        Assert.Equal(RepoPaths.PublishedLibrary, ready.Library);
        using (CoverageRegion region = CoverageRegion.Attach(name))
        {
            reference.AssertSameUnion(region);
            Assert.Equal(region.CountCovered(), ready.Now);
        }

        child.Release();
    }

    [Fact]
    public void Region_KeepsTheEdgesOfAChildKilledWhileItRuns()
    {
        string name = NewName("killed");
        NativeMemcov.CreateRegion(name, 1 << 16);

        using var child = DotnetChild.Start(
            ["--threads", "4"], new Dictionary<string, string> { [MemcovNative.RegionVariable] = name });
        DotnetChild.ReadyLine ready = child.WaitReady();
        Assert.True(ready.Attached);

        Assert.Equal(128 + 9, child.Kill()); // SIGKILL: no exit handler ran

        using CoverageRegion region = CoverageRegion.Attach(name);
        reference.AssertSameUnion(region);
    }

    [Fact]
    public void Region_OfEightChildrenWithFourThreadsEach_IsTheUnionOfOneProcessRunningEveryInput()
    {
        const int Children = 8;
        const int PerChild = NativeReference.InputCount / Children;
        string name = NewName("union");
        NativeMemcov.CreateRegion(name, 1 << 16);

        // Even children attach through MemcovNative, odd ones join through MEMCOV_REGION.
        var children = new List<DotnetChild>();
        try
        {
            for (int i = 0; i < Children; i++)
            {
                string[] inputs = ["--first", $"{i * PerChild}", "--count", $"{PerChild}", "--threads", "4"];
                children.Add(i % 2 == 0
                    ? DotnetChild.Start([.. inputs, "--attach", name])
                    : DotnetChild.Start(inputs, new Dictionary<string, string> { [MemcovNative.RegionVariable] = name }));
            }

            foreach (DotnetChild child in children)
            {
                Assert.True(child.WaitReady().Attached);
            }

            using (CoverageRegion region = CoverageRegion.Attach(name))
            {
                reference.AssertSameUnion(region);
            }

            children.ForEach(c => c.Release());
        }
        finally
        {
            children.ForEach(c => c.Dispose());
        }
    }
}
