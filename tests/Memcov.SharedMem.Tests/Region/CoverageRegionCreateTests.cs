using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Memcov.SharedMem.Tests;

/// <summary>Regions created by .NET: the file, its header, and native processes recording into it.</summary>
public sealed class CoverageRegionCreateTests : RegionTestBase
{
    [Fact]
    public void Create_WritesAValidRegion_ThatNativeWorkersFill_LikeANativeCreatedOne()
    {
        string reference = NewName("native-made");
        NativeMemcov.CreateRegion(reference, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(reference, 0, 24));

        string name = NewName("dotnet-made");
        using CoverageRegion created = CoverageRegion.Create(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 12));
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 12, 12, bFirst: true));

        using CoverageRegion expected = CoverageRegion.Attach(reference);
        Assert.Equal(2, created.ModuleCount);
        Assert.Equal(expected.AllocCursor, created.AllocCursor);
        Assert.True(expected.CountCovered() > 50);
        Assert.Equal(expected.CountCovered(), created.CountCovered());
        Assert.True(expected.Map.SequenceEqual(created.Map), "the .NET-created region's map differs from the native one's");

        // Another .NET process view of the same file sees the same bytes.
        using CoverageRegion attached = CoverageRegion.Attach(name);
        Assert.True(attached.Map.SequenceEqual(created.Map));
    }

    [Fact]
    public void Create_RoundsTheCapacity_AndWritesTheCreatorFacts()
    {
        string name = NewName("facts");
        DateTimeOffset before = DateTimeOffset.UtcNow.AddSeconds(-1);
        using CoverageRegion region = CoverageRegion.Create(name, 5000);

        Assert.Equal(8192, region.CapacityEdges);
        Assert.Equal(RegionFormat.Version, region.Version);
        Assert.Equal(Environment.ProcessId, region.CreatorPid);
        Assert.InRange(region.CreatedAt, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(0, region.ModuleCount);
        Assert.Equal(0, region.AllocCursor);
        Assert.Equal(0, region.EdgesRegistered);
        Assert.Equal(RegionName.GetPath(name), region.Path);

        var info = new FileInfo(region.Path);
        Assert.Equal(RegionFormat.MapOffset + 8192, info.Length);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(region.Path));
    }

    [Fact]
    public void Create_OfClasses_WritesAHitCountRegion_ThatEveryReaderSeesAsOne()
    {
        string name = NewName("classes");
        using CoverageRegion created = CoverageRegion.Create(name, 4096, RegionKind.Classes);
        Assert.Equal(RegionKind.Classes, created.Kind);
        using CoverageRegion attached = CoverageRegion.Attach(name);
        Assert.Equal(RegionKind.Classes, attached.Kind);
        Span<byte> header = stackalloc byte[4];
        using (var file = File.OpenRead(created.Path))
        {
            file.Position = 32; // kind, docs/region-format.md
            file.ReadExactly(header);
        }

        Assert.Equal(2u, BitConverter.ToUInt32(header));
        using CoverageRegion flags = CoverageRegion.Create(NewName("flags"), 4096);
        Assert.Equal(RegionKind.Flags, flags.Kind);
        Assert.Throws<ArgumentOutOfRangeException>(() => CoverageRegion.Create(NewName("kind3"), 4096, (RegionKind)3));
    }

    [Fact]
    public void Create_MapsTheCreatorsViewOfTheMapUpFront_WhileAttachMapsNothing()
    {
        using CoverageRegion created = CoverageRegion.Create(NewName("prefault"), 4 << 20);
        Assert.True(ResidentKib(created) >= 4096, "after Create, less than the 4 MiB map is mapped in the creator");

        string other = NewName("prefault-attach");
        NativeMemcov.CreateRegion(other, 4 << 20);
        using CoverageRegion attached = CoverageRegion.Attach(other);
        Assert.True(ResidentKib(attached) < 1024, "Attach mapped the map");
    }

    /// <summary>
    /// Resident kilobytes of the mapping that holds <paramref name="region"/>'s map, from
    /// /proc/self/smaps (found by address: a .NET-created region is mapped from its temp name).
    /// </summary>
    private static unsafe long ResidentKib(CoverageRegion region)
    {
        ulong address = (ulong)Unsafe.AsPointer(ref MemoryMarshal.GetReference(region.Map));
        bool inRegion = false;
        foreach (string line in File.ReadLines("/proc/self/smaps"))
        {
            int dash = line.IndexOf('-');
            int space = line.IndexOf(' ');
            if (dash > 0 && space > dash && line.AsSpan(0, dash).IndexOfAnyExcept("0123456789abcdef") < 0)
            {
                ulong start = ulong.Parse(line.AsSpan(0, dash), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                ulong end = ulong.Parse(line.AsSpan(dash + 1, space - dash - 1), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                inRegion = address >= start && address < end;
            }
            else if (inRegion && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                return long.Parse(line.AsSpan(4).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException("the region's map is in no mapping of /proc/self/smaps");
    }

    [Fact]
    public void Create_RefusesAnExistingName_AndLeavesTheRegionAlone()
    {
        string name = NewName("twice");
        NativeMemcov.CreateRegion(name, 1 << 16);
        NativeMemcov.WaitOk(NativeMemcov.StartWorker(name, 0, 24));
        long covered;
        using (CoverageRegion before = CoverageRegion.Attach(name))
        {
            covered = before.CountCovered();
        }

        var e = Assert.Throws<RegionExistsException>(() => CoverageRegion.Create(name, 4096));
        Assert.Equal(name, e.Name);
        Assert.Contains("Attach", e.Message);

        using CoverageRegion after = CoverageRegion.Attach(name);
        Assert.Equal(1 << 16, after.CapacityEdges);
        Assert.Equal(covered, after.CountCovered());
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(-1L)]
    [InlineData((1L << 32) + 1)]
    public void Create_RefusesACapacityOutside1To2Pow32(long capacity)
    {
        string name = NewName("capacity");
        Assert.Throws<ArgumentOutOfRangeException>(() => CoverageRegion.Create(name, capacity));
        Assert.False(CoverageRegion.Exists(name));
    }

    [Fact]
    public void Create_ChecksTheNameBeforeAnythingElse()
    {
        var e = Assert.Throws<ArgumentException>(() => CoverageRegion.Create("../escape", 0));
        Assert.Contains("[A-Za-z0-9][A-Za-z0-9._-]{0,199}", e.Message);
    }

    [Fact]
    public void Dispose_OnlyUnmaps_TheRegionLivesOn()
    {
        string name = NewName("lives");
        CoverageRegion.Create(name, 4096).Dispose();
        Assert.True(CoverageRegion.Exists(name));
        Assert.True(CoverageRegion.TryAttach(name, out CoverageRegion? region));
        using (region)
        {
            Assert.Equal(4096, region.CapacityEdges);
        }

        Assert.True(CoverageRegion.Remove(name));
        Assert.False(CoverageRegion.TryAttach(name, out CoverageRegion? none));
        Assert.Null(none);
        Assert.False(CoverageRegion.Remove(name));
    }

    [Fact]
    public void Members_ThrowObjectDisposed_AfterDispose()
    {
        string name = NewName("disposed");
        CoverageRegion region = CoverageRegion.Create(name, 4096);
        region.Dispose();
        region.Dispose();
        Assert.Throws<ObjectDisposedException>(() => region.CountCovered());
        Assert.Throws<ObjectDisposedException>(() => region.Map.Length);
        Assert.Throws<ObjectDisposedException>(() => region.Modules);
        Assert.Throws<ObjectDisposedException>(region.Reset);
    }
}
